import { create } from "@bufbuild/protobuf";
import {
  FinishReason,
  ModelResponseSchema,
  ToolCallSchema,
  UsageSchema,
  type ModelResponse,
  type ToolCall,
  type Usage,
} from "../../../gen/ts/switchyard/v1/inference_pb.js";
import { ErrorKind, GatewayError } from "../../errors/gateway-error.js";
import { JSON_TOOL_NAME } from "./request.js";

/** Wire shape of a Messages API answer (https://docs.anthropic.com/en/api/messages). */
export interface AnthropicResponse {
  id: string;
  type: "message";
  role: "assistant";
  model: string;
  content: Array<
    | { type: "text"; text: string }
    | { type: "tool_use"; id: string; name: string; input: unknown }
    | { type: "thinking" | "redacted_thinking"; [field: string]: unknown }
  >;
  stop_reason: string | null;
  stop_sequence?: string | null;
  usage: AnthropicUsage;
}

export interface AnthropicUsage {
  input_tokens?: number;
  output_tokens?: number;
  cache_read_input_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
}

/**
 * stop_reason → finish reason. "refusal" is Claude declining for safety
 * reasons; "pause_turn" ends a server-tool turn early and is a normal stop.
 */
export function finishReason(stopReason: string | null | undefined, jsonTool: boolean): FinishReason {
  switch (stopReason) {
    case "max_tokens":
    case "model_context_window_exceeded":
      return FinishReason.LENGTH;
    case "tool_use":
      // The forced JSON tool is our implementation detail: to the caller it is plain content.
      return jsonTool ? FinishReason.STOP : FinishReason.TOOL_CALLS;
    case "refusal":
      return FinishReason.CONTENT_FILTER;
    default:
      return FinishReason.STOP;
  }
}

/**
 * Anthropic's input_tokens excludes cached prompt tokens; prompt_tokens
 * here is the whole prompt (input + cache reads + cache writes), as
 * OpenAI-style usage reports it, with the cache parts broken out.
 */
export function toUsage(usage: AnthropicUsage): Usage {
  const cacheRead = usage.cache_read_input_tokens ?? 0;
  const cacheWrite = usage.cache_creation_input_tokens ?? 0;
  const promptTokens = (usage.input_tokens ?? 0) + cacheRead + cacheWrite;
  const completionTokens = usage.output_tokens ?? 0;
  return create(UsageSchema, {
    promptTokens,
    completionTokens,
    totalTokens: promptTokens + completionTokens,
    cachedPromptTokens: cacheRead,
    cacheCreationPromptTokens: cacheWrite,
  });
}

export function fromAnthropicResponse(body: unknown, jsonTool: boolean, nowMs: number): ModelResponse {
  const answer = body as AnthropicResponse;
  if (!answer || typeof answer !== "object" || !Array.isArray(answer.content)) {
    throw new GatewayError(ErrorKind.BAD_RESPONSE, "anthropic: answer has no content array", { provider: "anthropic" });
  }
  let content = "";
  const toolCalls: ToolCall[] = [];
  for (const block of answer.content) {
    if (block.type === "text") content += block.text;
    else if (block.type === "tool_use") {
      const input = JSON.stringify(block.input ?? {});
      if (jsonTool && block.name === JSON_TOOL_NAME) content += input;
      else toolCalls.push(create(ToolCallSchema, { id: block.id, function: { name: block.name, arguments: input } }));
    }
    // thinking blocks are hidden reasoning: not part of the answer text.
  }
  return create(ModelResponseSchema, {
    id: answer.id,
    created: BigInt(Math.floor(nowMs / 1000)),
    model: answer.model,
    choices: [{ index: 0, message: { role: "assistant", content, toolCalls }, finishReason: finishReason(answer.stop_reason, jsonTool) }],
    usage: toUsage(answer.usage ?? {}),
  });
}

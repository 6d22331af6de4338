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

/** Wire shape of a Converse answer. */
export interface ConverseResponse {
  output?: {
    message?: {
      role: string;
      content?: Array<{ text?: string; toolUse?: { toolUseId: string; name: string; input?: unknown }; reasoningContent?: unknown }>;
    };
  };
  stopReason?: string;
  usage?: ConverseUsage;
  metrics?: { latencyMs?: number };
}

export interface ConverseUsage {
  inputTokens?: number;
  outputTokens?: number;
  totalTokens?: number;
  cacheReadInputTokens?: number;
  cacheWriteInputTokens?: number;
}

export function finishReason(stopReason: string | undefined, jsonTool: boolean): FinishReason {
  switch (stopReason) {
    case "max_tokens":
    case "model_context_window_exceeded":
      return FinishReason.LENGTH;
    case "tool_use":
      return jsonTool ? FinishReason.STOP : FinishReason.TOOL_CALLS;
    case "guardrail_intervened":
    case "content_filtered":
      return FinishReason.CONTENT_FILTER;
    default:
      return FinishReason.STOP;
  }
}

/** inputTokens excludes prompt-cache reads and writes; prompt_tokens is the whole prompt with those broken out. */
export function toUsage(usage: ConverseUsage | undefined): Usage {
  const cacheRead = usage?.cacheReadInputTokens ?? 0;
  const cacheWrite = usage?.cacheWriteInputTokens ?? 0;
  const promptTokens = (usage?.inputTokens ?? 0) + cacheRead + cacheWrite;
  const completionTokens = usage?.outputTokens ?? 0;
  return create(UsageSchema, {
    promptTokens,
    completionTokens,
    totalTokens: promptTokens + completionTokens,
    cachedPromptTokens: cacheRead,
    cacheCreationPromptTokens: cacheWrite,
  });
}

export function fromConverseResponse(body: unknown, options: { model: string; id: string; nowMs: number; jsonTool: boolean }): ModelResponse {
  const answer = body as ConverseResponse;
  const blocks = answer?.output?.message?.content;
  if (!Array.isArray(blocks)) {
    throw new GatewayError(ErrorKind.BAD_RESPONSE, "bedrock: answer has no output.message.content", { provider: "bedrock" });
  }
  let content = "";
  const toolCalls: ToolCall[] = [];
  for (const block of blocks) {
    if (block.text !== undefined) content += block.text;
    else if (block.toolUse) {
      const input = JSON.stringify(block.toolUse.input ?? {});
      if (options.jsonTool && block.toolUse.name === JSON_TOOL_NAME) content += input;
      else toolCalls.push(create(ToolCallSchema, { id: block.toolUse.toolUseId, function: { name: block.toolUse.name, arguments: input } }));
    }
    // reasoningContent is hidden reasoning, not answer text.
  }
  return create(ModelResponseSchema, {
    id: options.id,
    created: BigInt(Math.floor(options.nowMs / 1000)),
    model: options.model,
    choices: [{ index: 0, message: { role: "assistant", content, toolCalls }, finishReason: finishReason(answer.stopReason, options.jsonTool) }],
    usage: toUsage(answer.usage),
  });
}

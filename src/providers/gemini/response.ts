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

/** Wire shape of a GenerateContentResponse (https://ai.google.dev/api/generate-content#generatecontentresponse). */
export interface GeminiResponse {
  candidates?: GeminiCandidate[];
  promptFeedback?: { blockReason?: string; safetyRatings?: unknown[] };
  usageMetadata?: GeminiUsage;
  modelVersion?: string;
  responseId?: string;
}

export interface GeminiCandidate {
  index?: number;
  content?: { role?: string; parts?: GeminiResponsePart[] };
  finishReason?: string;
  finishMessage?: string;
}

export interface GeminiResponsePart {
  text?: string;
  /** Thought summaries (thinking models) are not part of the answer. */
  thought?: boolean;
  functionCall?: { name: string; args?: Record<string, unknown>; id?: string };
}

export interface GeminiUsage {
  promptTokenCount?: number;
  candidatesTokenCount?: number;
  totalTokenCount?: number;
  cachedContentTokenCount?: number;
  thoughtsTokenCount?: number;
}

/** Finish reasons that mean a policy stopped the answer (FinishReason enum in the API reference). */
const FILTERED = new Set(["SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY", "LANGUAGE"]);

export function finishReason(reason: string | undefined, hasToolCalls: boolean): FinishReason {
  if (reason === "MAX_TOKENS") return FinishReason.LENGTH;
  if (reason && FILTERED.has(reason)) return FinishReason.CONTENT_FILTER;
  // Gemini says STOP after a function call too; callers expect tool_calls then.
  return hasToolCalls ? FinishReason.TOOL_CALLS : FinishReason.STOP;
}

/** Thinking tokens are billed as output, so completion_tokens includes them (and reasoning_tokens breaks them out). */
export function toUsage(usage: GeminiUsage | undefined): Usage {
  const promptTokens = usage?.promptTokenCount ?? 0;
  const reasoningTokens = usage?.thoughtsTokenCount ?? 0;
  const completionTokens = (usage?.candidatesTokenCount ?? 0) + reasoningTokens;
  return create(UsageSchema, {
    promptTokens,
    completionTokens,
    totalTokens: usage?.totalTokenCount ?? promptTokens + completionTokens,
    cachedPromptTokens: usage?.cachedContentTokenCount ?? 0,
    reasoningTokens,
  });
}

/**
 * Gemini function calls usually carry no id; one is made from the name and
 * position so the caller can echo it in its tool message (the request
 * side maps it back to the function name).
 */
export function toolCallId(call: { name: string; id?: string }, position: number): string {
  return call.id || `call_${call.name}_${position}`;
}

/** A prompt blocked before any candidate was produced (promptFeedback.blockReason). */
export function promptBlocked(answer: GeminiResponse): GatewayError | undefined {
  const reason = answer.promptFeedback?.blockReason;
  if (!reason || (answer.candidates && answer.candidates.length > 0)) return undefined;
  return new GatewayError(ErrorKind.CONTENT_POLICY, `gemini: prompt blocked (blockReason ${reason})`, { provider: "gemini" });
}

export function candidateContent(candidate: GeminiCandidate): { text: string; toolCalls: ToolCall[] } {
  let text = "";
  const toolCalls: ToolCall[] = [];
  for (const part of candidate.content?.parts ?? []) {
    if (part.thought) continue;
    if (part.text !== undefined) text += part.text;
    if (part.functionCall) {
      toolCalls.push(
        create(ToolCallSchema, {
          id: toolCallId(part.functionCall, toolCalls.length),
          function: { name: part.functionCall.name, arguments: JSON.stringify(part.functionCall.args ?? {}) },
        }),
      );
    }
  }
  return { text, toolCalls };
}

export function fromGeminiResponse(body: unknown, model: string, nowMs: number, fallbackId: string): ModelResponse {
  const answer = body as GeminiResponse;
  if (!answer || typeof answer !== "object") {
    throw new GatewayError(ErrorKind.BAD_RESPONSE, "gemini: answer is not an object", { provider: "gemini" });
  }
  const blocked = promptBlocked(answer);
  if (blocked) throw blocked;
  return create(ModelResponseSchema, {
    id: answer.responseId || fallbackId,
    created: BigInt(Math.floor(nowMs / 1000)),
    model: answer.modelVersion || model,
    choices: (answer.candidates ?? []).map((candidate, i) => {
      const { text, toolCalls } = candidateContent(candidate);
      return {
        index: candidate.index ?? i,
        message: { role: "assistant", content: text, toolCalls },
        finishReason: finishReason(candidate.finishReason, toolCalls.length > 0),
      };
    }),
    usage: toUsage(answer.usageMetadata),
  });
}

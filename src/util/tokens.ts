import { create } from "@bufbuild/protobuf";
import { UsageSchema, type CompletionRequest, type Message, type ModelResponse, type Usage } from "../../gen/ts/switchyard/v1/inference_pb.js";

/**
 * A cheap token estimate (about four characters per token for English),
 * used where no tokenizer is at hand: context-window pre-checks and the
 * mock provider's usage counts. Deliberately not exact.
 */
export function estimateTokens(text: string): number {
  return estimateTokensOfLength(text.length);
}

/** estimateTokens for text known only by its length (a stream's text, counted as it passes rather than kept). */
export function estimateTokensOfLength(chars: number): number {
  return chars <= 0 ? 0 : Math.ceil(chars / 4);
}

/** Estimated prompt tokens of a completion request, with per-message overhead. */
export function estimatePromptTokens(request: CompletionRequest): number {
  let total = 3 + estimateToolTokens(request); // 3: priming tokens of the assistant's reply
  for (const message of request.messages) total += estimateMessageTokens(message);
  return total;
}

/** Estimated tokens of one message of a prompt, with its overhead. */
export function estimateMessageTokens(message: Message): number {
  let total = 4 + estimateTokens(message.content);
  for (const part of message.parts) {
    if (part.part.case === "text") total += estimateTokens(part.part.value);
    else if (part.part.case === "image") total += 85; // a low-detail image tile
  }
  for (const call of message.toolCalls) total += estimateTokens(call.function?.arguments ?? "") + 3;
  return total;
}

/** Estimated tokens of a request's tool definitions. */
export function estimateToolTokens(request: CompletionRequest): number {
  let total = 0;
  for (const tool of request.tools) total += 8 + estimateTokens(tool.function?.name ?? "") + estimateTokens(tool.function?.description ?? "");
  return total;
}

/** Usage counted locally (prompt estimated from the request, completion from the generated text), for upstreams that report none. */
export function estimatedUsage(request: CompletionRequest, completionText: string): Usage {
  const promptTokens = estimatePromptTokens(request);
  const completionTokens = estimateTokens(completionText);
  return create(UsageSchema, { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens });
}

/**
 * The answer with usage it can be billed by: when the upstream reported
 * none (no usage object, or all zeros for a prompt that cannot have been
 * zero tokens), it is counted locally, so cost, spend budgets and tpm
 * limits never see a free call.
 */
export function withUsage(response: ModelResponse, request: CompletionRequest): ModelResponse {
  const usage = response.usage;
  if (usage && (usage.promptTokens > 0 || usage.completionTokens > 0 || usage.totalTokens > 0)) return response;
  const generated = response.choices.map((c) => (c.message?.content ?? "") + (c.message?.toolCalls ?? []).map((t) => t.function?.arguments ?? "").join("")).join("");
  response.usage = estimatedUsage(request, generated);
  return response;
}

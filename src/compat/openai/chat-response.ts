import {
  FinishReason,
  type ModelResponse,
  type ModelResponseChunk,
  type Usage,
} from "../../../gen/ts/switchyard/v1/inference_pb.js";

const FINISH: Record<FinishReason, string | null> = {
  [FinishReason.UNSPECIFIED]: null,
  [FinishReason.STOP]: "stop",
  [FinishReason.LENGTH]: "length",
  [FinishReason.TOOL_CALLS]: "tool_calls",
  [FinishReason.CONTENT_FILTER]: "content_filter",
};

export function openaiFinishReason(reason: FinishReason): string | null {
  return FINISH[reason] ?? null;
}

/** The unified Usage in Chat Completions shape, cache reads and reasoning included. */
export function openaiUsage(usage: Usage | undefined) {
  return {
    prompt_tokens: usage?.promptTokens ?? 0,
    completion_tokens: usage?.completionTokens ?? 0,
    total_tokens: usage?.totalTokens ?? 0,
    prompt_tokens_details: { cached_tokens: usage?.cachedPromptTokens ?? 0 },
    completion_tokens_details: { reasoning_tokens: usage?.reasoningTokens ?? 0 },
  };
}

/** ModelResponse → chat.completion. */
export function chatCompletionToWire(r: ModelResponse) {
  return {
    id: r.id,
    object: "chat.completion",
    created: Number(r.created),
    model: r.model || r.modelGroup,
    choices: r.choices.map((c) => ({
      index: c.index,
      message: {
        role: "assistant",
        content: c.message?.content || (c.message?.toolCalls.length ? null : ""),
        refusal: null,
        ...(c.message?.toolCalls.length
          ? {
              tool_calls: c.message.toolCalls.map((t) => ({
                id: t.id,
                type: "function",
                function: { name: t.function?.name ?? "", arguments: t.function?.arguments ?? "" },
              })),
            }
          : {}),
      },
      logprobs: null,
      finish_reason: openaiFinishReason(c.finishReason) ?? "stop",
    })),
    usage: openaiUsage(r.usage),
    ...(r.systemFingerprint ? { system_fingerprint: r.systemFingerprint } : {}),
  };
}

/**
 * ModelResponseChunk → chat.completion.chunk events. The unified final
 * chunk carries usage beside the last choice; OpenAI sends usage in a
 * chunk of its own with no choices, and only when asked.
 */
export function chatChunksToWire(chunk: ModelResponseChunk, includeUsage: boolean, model: string): unknown[] {
  const base = { id: chunk.id, object: "chat.completion.chunk", created: Number(chunk.created), model: chunk.model || model };
  const out: unknown[] = [];
  if (chunk.choices.length > 0) {
    out.push({
      ...base,
      choices: chunk.choices.map((c) => {
        const delta: Record<string, unknown> = {};
        if (c.delta?.role) delta.role = c.delta.role;
        if (c.delta?.content) delta.content = c.delta.content;
        if (c.delta?.toolCalls.length) {
          delta.tool_calls = c.delta.toolCalls.map((t) => ({
            index: t.index,
            ...(t.id ? { id: t.id, type: "function" } : {}),
            function: { ...(t.name ? { name: t.name } : {}), arguments: t.arguments },
          }));
        }
        return { index: c.index, delta, logprobs: null, finish_reason: openaiFinishReason(c.finishReason) };
      }),
    });
  }
  if (chunk.usage && includeUsage) out.push({ ...base, choices: [], usage: openaiUsage(chunk.usage) });
  return out;
}

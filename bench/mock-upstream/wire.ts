/**
 * The OpenAI chat-completions wire format, as the benchmark's mock upstream
 * writes it: a `chat.completion` object for unary calls and
 * `chat.completion.chunk` server-sent events for `stream: true`, field for
 * field as the API reference shows them (including `usage: null` on every
 * chunk and a usage-only last chunk when `stream_options.include_usage` is
 * set). Pure functions, so the format is unit-tested; the server only adds
 * timing.
 */

export interface MockAnswerSpec {
  /** The answer text; streamed split into `chunkCount` pieces. */
  text: string;
  /** Number of content chunks in a streamed answer. */
  chunkCount: number;
}

export interface ChatRequestSummary {
  model: string;
  stream: boolean;
  includeUsage: boolean;
  promptTokens: number;
}

/** Reads only what the mock needs from a chat-completions request body. */
export function summarizeChatRequest(body: unknown): ChatRequestSummary {
  if (typeof body !== "object" || body === null) throw new Error("request body must be a JSON object");
  const b = body as { model?: unknown; stream?: unknown; stream_options?: { include_usage?: unknown } | null; messages?: unknown };
  if (typeof b.model !== "string" || b.model === "") throw new Error("model: required");
  if (!Array.isArray(b.messages) || b.messages.length === 0) throw new Error("messages: at least one message is required");
  let chars = 0;
  for (const m of b.messages as Array<{ content?: unknown }>) {
    if (typeof m?.content === "string") chars += m.content.length;
  }
  return {
    model: b.model,
    stream: b.stream === true,
    includeUsage: b.stream_options?.include_usage === true,
    promptTokens: Math.max(1, Math.ceil(chars / 4)),
  };
}

/** Roughly 4 characters per token, like the gateway's own estimate. */
export function countTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

/** Splits text into `count` contiguous pieces of near-equal length (none empty when text allows). */
export function splitText(text: string, count: number): string[] {
  const n = Math.max(1, Math.min(count, text.length || 1));
  const pieces: string[] = [];
  for (let i = 0; i < n; i++) pieces.push(text.slice(Math.floor((i * text.length) / n), Math.floor(((i + 1) * text.length) / n)));
  return pieces;
}

function usage(promptTokens: number, completionTokens: number) {
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
}

/** A unary `chat.completion` response body. */
export function completionBody(id: string, createdS: number, req: ChatRequestSummary, answer: MockAnswerSpec): string {
  return JSON.stringify({
    id,
    object: "chat.completion",
    created: createdS,
    model: req.model,
    choices: [
      {
        index: 0,
        message: { role: "assistant", content: answer.text, refusal: null, annotations: [] },
        logprobs: null,
        finish_reason: "stop",
      },
    ],
    usage: usage(req.promptTokens, countTokens(answer.text)),
    service_tier: "default",
    system_fingerprint: "fp_switchyard_bench",
  });
}

function sse(data: string): string {
  return `data: ${data}\n\n`;
}

/**
 * The SSE events of a streamed answer, grouped by when they are written:
 * group 0 goes out after the first-token latency and holds the role chunk
 * together with the first content piece (OpenAI sends an empty-content role
 * chunk first; writing both at once keeps "first event" and "first token"
 * the same instant for every client), then one group per remaining piece
 * `chunk_delay_ms` apart, and the last group holds the finish chunk, the
 * usage chunk when asked for, and `[DONE]`.
 */
export function streamEventGroups(id: string, createdS: number, req: ChatRequestSummary, answer: MockAnswerSpec): string[] {
  const base = { id, object: "chat.completion.chunk", created: createdS, model: req.model, service_tier: "default", system_fingerprint: "fp_switchyard_bench" };
  const usageNull = req.includeUsage ? { usage: null } : {};
  const chunk = (delta: Record<string, unknown>, finishReason: string | null) =>
    sse(JSON.stringify({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }], ...usageNull }));

  const pieces = splitText(answer.text, answer.chunkCount);
  const groups = pieces.map((piece) => chunk({ content: piece }, null));
  groups[0] = chunk({ role: "assistant", content: "", refusal: null }, null) + groups[0];
  let last = chunk({}, "stop");
  if (req.includeUsage) last += sse(JSON.stringify({ ...base, choices: [], usage: usage(req.promptTokens, countTokens(answer.text)) }));
  last += sse("[DONE]");
  groups.push(last);
  return groups;
}

/** OpenAI's error body shape, for requests the mock refuses. */
export function errorBody(message: string, type = "invalid_request_error", code: string | null = null): string {
  return JSON.stringify({ error: { message, type, param: null, code } });
}

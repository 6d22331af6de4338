import type { ServerResponse } from "node:http";
import { jsonReply, ScriptedServer, sseEvent, streamReply, type RecordedRequest, type Reply } from "./scripted-server.js";

/**
 * A local server speaking OpenAI's wire format (chat completions JSON and
 * SSE, embeddings, images, moderations, error bodies), shaped after the
 * examples in https://platform.openai.com/docs/api-reference. Unscripted
 * requests get a default answer by path, so a whole gateway can run
 * against it; tests queue replies to script anything else. Azure paths
 * (/openai/deployments/{d}/...) are answered the same way.
 */

export const CREATED = 1_741_569_952;

export function chatCompletion(overrides: Partial<Record<string, unknown>> = {}): Record<string, unknown> {
  return {
    id: "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
    object: "chat.completion",
    created: CREATED,
    model: "gpt-4o-2024-08-06",
    choices: [
      {
        index: 0,
        message: { role: "assistant", content: "Hello! How can I assist you today?", refusal: null, annotations: [] },
        logprobs: null,
        finish_reason: "stop",
      },
    ],
    usage: {
      prompt_tokens: 19,
      completion_tokens: 10,
      total_tokens: 29,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
    },
    service_tier: "default",
    system_fingerprint: "fp_50cad350e4",
    ...overrides,
  };
}

/** One chat.completion.chunk as OpenAI streams it. */
export function chunk(choices: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: "chatcmpl-123",
    object: "chat.completion.chunk",
    created: CREATED,
    model: "gpt-4o-mini-2024-07-18",
    system_fingerprint: "fp_44709d6fcb",
    choices,
    ...extra,
  };
}

export function contentDelta(content: string, finish: string | null = null, index = 0): unknown {
  return { index, delta: { content }, logprobs: null, finish_reason: finish };
}

export const STREAM_USAGE = {
  prompt_tokens: 12,
  completion_tokens: 4,
  total_tokens: 16,
  prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
  completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
};

/** The events of a text answer: role chunk, content deltas, finish chunk, usage chunk (include_usage), [DONE]. */
export function textStreamEvents(pieces: string[], options: { usage?: boolean } = {}): string[] {
  const events = [
    sseEvent(chunk([{ index: 0, delta: { role: "assistant", content: "", refusal: null }, logprobs: null, finish_reason: null }], { usage: null })),
    ...pieces.map((p) => sseEvent(chunk([contentDelta(p)], { usage: null }))),
    sseEvent(chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: "stop" }], { usage: null })),
  ];
  if (options.usage ?? true) events.push(sseEvent(chunk([], { usage: STREAM_USAGE })));
  events.push(sseEvent("[DONE]"));
  return events;
}

/** Two parallel tool calls whose argument JSON arrives split across chunks, as OpenAI streams them. */
export function toolCallStreamEvents(): string[] {
  const call = (index: number, fn: Record<string, unknown>, id?: string) => ({
    index: 0,
    delta: { tool_calls: [{ index, ...(id ? { id, type: "function" } : {}), function: fn }] },
    logprobs: null,
    finish_reason: null,
  });
  return [
    sseEvent(chunk([{ index: 0, delta: { role: "assistant", content: null, refusal: null }, logprobs: null, finish_reason: null }], { usage: null })),
    sseEvent(chunk([call(0, { name: "get_weather", arguments: "" }, "call_DdmO9pD3xa9XTPNJ32zg2hcA")], { usage: null })),
    sseEvent(chunk([call(0, { arguments: '{"lo' })], { usage: null })),
    sseEvent(chunk([call(0, { arguments: 'cation": "Paris"}' })], { usage: null })),
    sseEvent(chunk([call(1, { name: "get_time", arguments: "" }, "call_ABCwU9d8S3HjH8bNgiPwq9h2")], { usage: null })),
    sseEvent(chunk([call(1, { arguments: '{"tz": "Europe/Paris"}' })], { usage: null })),
    sseEvent(chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: "tool_calls" }], { usage: null })),
    sseEvent(chunk([], { usage: { prompt_tokens: 80, completion_tokens: 30, total_tokens: 110 } })),
    sseEvent("[DONE]"),
  ];
}

/** An SSE answer built from whole events; `splitEvery` re-cuts the bytes into pieces of that size, ignoring event boundaries. */
export function openAiStream(events: string[], options: { ending?: "end" | "cut" | "hang"; splitEvery?: number; headers?: Record<string, string> } = {}): Reply {
  let pieces: Array<string | Uint8Array> = events;
  if (options.splitEvery) {
    const bytes = Buffer.from(events.join(""), "utf8");
    pieces = [];
    for (let i = 0; i < bytes.length; i += options.splitEvery) pieces.push(bytes.subarray(i, i + options.splitEvery));
  }
  return streamReply({ contentType: "text/event-stream; charset=utf-8", pieces, ending: options.ending, headers: options.headers });
}

export interface WireError {
  message: string;
  type: string | null;
  code: string | null;
  param: string | null;
}

/** An error answer in OpenAI's shape: {"error": {message, type, param, code}}. */
export function openAiError(status: number, error: WireError, headers: Record<string, string> = {}): Reply {
  return jsonReply(status, { error }, headers);
}

/** Recorded-shape error bodies for each status the adapter maps. */
export const ERRORS: Record<string, { status: number; error: WireError }> = {
  badRequest: {
    status: 400,
    error: { message: "Invalid value for 'temperature': expected a number.", type: "invalid_request_error", param: "temperature", code: "invalid_value" },
  },
  contextLength: {
    status: 400,
    error: {
      message:
        "This model's maximum context length is 128000 tokens. However, your messages resulted in 130532 tokens. Please reduce the length of the messages.",
      type: "invalid_request_error",
      param: "messages",
      code: "context_length_exceeded",
    },
  },
  contentPolicy: {
    status: 400,
    error: {
      message: "Your request was rejected as a result of our safety system.",
      type: "invalid_request_error",
      param: null,
      code: "content_policy_violation",
    },
  },
  unauthorized: {
    status: 401,
    error: {
      message: "Incorrect API key provided: sk-test-secret-key-0123456789. You can find your API key at https://platform.openai.com/account/api-keys.",
      type: "invalid_request_error",
      param: null,
      code: "invalid_api_key",
    },
  },
  forbidden: {
    status: 403,
    error: { message: "Project `proj_abc` does not have access to model `gpt-4o`", type: "invalid_request_error", param: null, code: "model_not_found" },
  },
  notFound: {
    status: 404,
    error: {
      message: "The model `gpt-5-ultra` does not exist or you do not have access to it.",
      type: "invalid_request_error",
      param: null,
      code: "model_not_found",
    },
  },
  timeout: { status: 408, error: { message: "Request timed out.", type: "timeout", param: null, code: null } },
  tooLarge: { status: 413, error: { message: "Request entity too large.", type: "invalid_request_error", param: null, code: null } },
  rateLimited: {
    status: 429,
    error: {
      message: "Rate limit reached for gpt-4o in organization org-abc on requests per min (RPM): Limit 500, Used 500, Requested 1.",
      type: "requests",
      param: null,
      code: "rate_limit_exceeded",
    },
  },
  serverError: {
    status: 500,
    error: { message: "The server had an error while processing your request. Sorry about that!", type: "server_error", param: null, code: null },
  },
  unavailable: {
    status: 503,
    error: { message: "The engine is currently overloaded, please try again later.", type: "server_error", param: null, code: null },
  },
  overloaded: { status: 529, error: { message: "Overloaded", type: "overloaded_error", param: null, code: null } },
};

export function embeddingAnswer(inputs: number, dimensions = 3): Record<string, unknown> {
  return {
    object: "list",
    data: Array.from({ length: inputs }, (_, i) => ({
      object: "embedding",
      index: i,
      embedding: Array.from({ length: dimensions }, (_, d) => Number(((i + 1) * 0.125 + d * 0.25).toFixed(3))),
    })),
    model: "text-embedding-3-small",
    usage: { prompt_tokens: 8 * inputs, total_tokens: 8 * inputs },
  };
}

/** A 1x1 PNG, as b64_json carries it. */
export const PIXEL_PNG_BASE64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

export function imageAnswer(b64: boolean): Record<string, unknown> {
  return {
    created: CREATED,
    data: [
      b64
        ? { b64_json: PIXEL_PNG_BASE64, revised_prompt: "A watercolor fox in a snowy forest" }
        : { url: "https://oaidalleapiprodscus.blob.core.windows.net/private/img-abc.png", revised_prompt: "A watercolor fox in a snowy forest" },
    ],
  };
}

export function moderationAnswer(inputs: string[]): Record<string, unknown> {
  return {
    id: "modr-0d9740456c391e43c445bf0f010940c7",
    model: "omni-moderation-latest",
    results: inputs.map((text) => {
      const violent = /kill/i.test(text);
      return {
        flagged: violent,
        categories: { harassment: false, "harassment/threatening": false, violence: violent, "violence/graphic": false },
        category_scores: { harassment: 0.0012, "harassment/threatening": 0.0003, violence: violent ? 0.9723 : 0.0011, "violence/graphic": 0.0004 },
      };
    }),
  };
}

/** The default answer for a request nobody scripted: whatever OpenAI would say to it. */
function defaultReply(req: RecordedRequest, res: ServerResponse): void | Promise<void> {
  const path = req.path.split("?")[0]!;
  const body = req.body.length > 0 ? req.json() : {};
  if (path.endsWith("/chat/completions")) {
    const wantsTool = Array.isArray(body.tools) && body.tool_choice !== undefined && body.tool_choice !== "none";
    if (body.stream) return openAiStream(wantsTool ? toolCallStreamEvents() : textStreamEvents(["Hello", " from", " the", " fake"]))(req, res);
    return jsonReply(200, chatCompletion())(req, res);
  }
  if (path.endsWith("/embeddings")) return jsonReply(200, embeddingAnswer(body.input.length, body.dimensions ?? 3))(req, res);
  if (path.endsWith("/images/generations")) return jsonReply(200, imageAnswer(body.response_format === "b64_json"))(req, res);
  if (path.endsWith("/moderations")) return jsonReply(200, moderationAnswer(body.input))(req, res);
  return jsonReply(404, { error: { message: `Invalid URL (POST ${path})`, type: "invalid_request_error", param: null, code: null } })(req, res);
}

/** Starts the fake on a free 127.0.0.1 port; `url` + "/v1" is an api_base. */
export function startOpenAiFake(): Promise<ScriptedServer> {
  return ScriptedServer.start(defaultReply);
}

export { jsonReply, sseEvent, type ScriptedServer };

import * as fake from "../../../support/fake-upstreams/gemini.js";
import { jsonReply, streamReply, type Reply } from "../../../support/fake-upstreams/scripted-server.js";
import { JSON_ANSWER, errorHeaders, sseEvents, TEXT, transcript, WEATHER_CALL_ARGUMENTS, type ConformanceKit, type ErrorCase, type StreamScript } from "../kit.js";

/** Gemini (Generative Language API): answers and errors in the shapes of https://ai.google.dev/api. */
const KEY = "AIzaSyConformanceKey0123456789abcdefg";

/** Each error as Google sends it: HTTP code, status, message, details. */
const ERRORS: Record<ErrorCase, [number, string, string, unknown[]?]> = {
  bad_request: [400, "INVALID_ARGUMENT", "Invalid value at 'generation_config.temperature' (TYPE_FLOAT), \"hot\""],
  // Google answers a bad API key with 400, told apart by its reason.
  unauthenticated: [
    400,
    "INVALID_ARGUMENT",
    "API key not valid. Please pass a valid API key.",
    [{ "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "API_KEY_INVALID", domain: "googleapis.com" }],
  ],
  forbidden: [403, "PERMISSION_DENIED", "Method doesn't allow unregistered callers."],
  not_found: [404, "NOT_FOUND", "models/gemini-unknown is not found for API version v1beta."],
  timeout: [504, "DEADLINE_EXCEEDED", "Deadline expired before operation could complete."],
  too_large: [413, "INVALID_ARGUMENT", "Request payload size exceeds the limit: 20971520 bytes."],
  rate_limited: [429, "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota)."],
  server_error: [500, "INTERNAL", "An internal error has occurred."],
  unavailable: [503, "UNAVAILABLE", "The model is overloaded. Please try again later."],
  context_window: [400, "INVALID_ARGUMENT", "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576)."],
};

const events = (name: string) => sseEvents(transcript("gemini", name));
const sse = (pieces: string[], ending: "end" | "cut" | "hang" = "end"): Reply => streamReply({ contentType: "text/event-stream", pieces, ending });

/** alt=sse has no terminal event: a stream is complete once every candidate has a finishReason, so "unterminated" drops the event carrying it. */
const STREAMS: Record<StreamScript, () => Reply> = {
  text: () => sse(events("text.sse")),
  tools: () => sse(events("tools.sse")),
  cut: () => sse(events("text.sse").slice(0, 1), "cut"),
  unterminated: () => sse(events("text.sse").filter((e) => !e.includes('"finishReason"'))),
  error_event: () => sse(events("error.sse")),
  hang: () => sse(events("text.sse").slice(0, 1), "hang"),
};

/** The text transcript with usageMetadata taken out of every event. */
function withoutUsageMetadata(event: string): string {
  const { usageMetadata: _, ...rest } = JSON.parse(event.slice("data: ".length));
  return fake.sseData(rest);
}

export const kits: ConformanceKit[] = [
  {
    provider: "gemini",
    params: (url, purpose) => ({ model: purpose === "embed" ? "gemini-embedding-001" : fake.MODEL, apiBase: url, apiKey: KEY }),
    secret: KEY,
    upstream: {
      wire: "gemini",
      async start() {
        const server = await fake.startFakeGemini();
        return { server, enqueue: (...replies) => void server.enqueue(...replies) };
      },
      text: () => fake.generateReply([fake.candidate([{ text: TEXT }], "STOP")], fake.usage(12, 6)),
      toolCall: () => fake.generateReply([fake.candidate([{ functionCall: { name: "get_weather", args: JSON.parse(WEATHER_CALL_ARGUMENTS) } }], "STOP")], fake.usage(12, 6)),
      json: () => fake.generateReply([fake.candidate([{ text: JSON.stringify(JSON_ANSWER) }], "STOP")], fake.usage(12, 6)),
      stream: (script) => STREAMS[script](),
      withoutUsage: { stream: () => sse(events("text.sse").map(withoutUsageMetadata)) },
      error(kind) {
        const [code, status, message, details] = ERRORS[kind];
        return { reply: fake.errorReply(code, status, message, details, errorHeaders(kind)), message: `gemini: ${status}: ${message}` };
      },
      streamErrorMessage: "gemini: UNAVAILABLE: The model is overloaded. Please try again later.",
      embed: () => [jsonReply(200, { embeddings: [{ values: [0.5, 0.25, -0.125] }] })],
    },
    expect: {
      text: TEXT,
      streamText: "Hello from upstream",
      // Gemini sends no call ids: the adapter names them call_<name>_<position>.
      toolCalls: [{ id: "call_get_weather_0", name: "get_weather", arguments: WEATHER_CALL_ARGUMENTS }],
      streamedToolCalls: [
        { id: "call_get_weather_0", name: "get_weather", arguments: WEATHER_CALL_ARGUMENTS },
        { id: "call_get_time_1", name: "get_time", arguments: '{"tz":"Europe/Paris"}' },
      ],
      json: JSON_ANSWER,
    },
  },
];

import * as fake from "../../../support/fake-upstreams/anthropic.js";
import type { Reply } from "../../../support/fake-upstreams/scripted-server.js";
import { JSON_ANSWER, errorHeaders, sseEvents, TEXT, transcript, WEATHER_CALL_ARGUMENTS, type ConformanceKit, type ErrorCase, type StreamScript } from "../kit.js";

/** Anthropic Messages API: the fake answers as https://docs.anthropic.com/en/api/messages and .../errors document. */
const KEY = "sk-ant-api03-conformance-key-000000";

/** Each error as Anthropic sends it: status, error type, message. */
const ERRORS: Record<ErrorCase, [number, string, string]> = {
  bad_request: [400, "invalid_request_error", "messages: roles must alternate between \"user\" and \"assistant\""],
  unauthenticated: [401, "authentication_error", "invalid x-api-key"],
  forbidden: [403, "permission_error", "Your API key does not have permission to use the specified resource."],
  not_found: [404, "not_found_error", "model: claude-unknown"],
  // Anthropic's own timeout answer is 504 timeout_error.
  timeout: [504, "timeout_error", "Request timed out"],
  too_large: [413, "request_too_large", "Request exceeds the maximum allowed number of bytes."],
  rate_limited: [429, "rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit"],
  server_error: [500, "api_error", "An unexpected error has occurred internal to Anthropic's systems."],
  // Anthropic signals overload with 529, not 503.
  unavailable: [529, "overloaded_error", "Overloaded"],
  context_window: [400, "invalid_request_error", "prompt is too long: 208310 tokens > 200000 maximum"],
};

const events = (name: string) => sseEvents(transcript("anthropic", name));
/** message_start, content_block_start, ping and the first text delta. */
const FIRST_CONTENT = 4;

const STREAMS: Record<StreamScript, () => Reply> = {
  text: () => fake.sseReply(events("text.sse")),
  tools: () => fake.sseReply(events("tools.sse")),
  cut: () => fake.sseReply(events("text.sse").slice(0, FIRST_CONTENT), "cut"),
  unterminated: () => fake.sseReply(events("text.sse").filter((e) => !e.startsWith("event: message_stop"))),
  error_event: () => fake.sseReply(events("error.sse")),
  hang: () => fake.sseReply(events("text.sse").slice(0, FIRST_CONTENT), "hang"),
};

export const kits: ConformanceKit[] = [
  {
    provider: "anthropic",
    params: (url) => ({ model: fake.MODEL, apiBase: url, apiKey: KEY }),
    secret: KEY,
    upstream: {
      wire: "anthropic",
      async start() {
        const server = await fake.startFakeAnthropic();
        return { server, enqueue: (...replies) => void server.enqueue(...replies) };
      },
      text: () => fake.messageReply({ content: [{ type: "text", text: TEXT }], usage: { input_tokens: 12, output_tokens: 6 } }),
      toolCall: () =>
        fake.messageReply({
          content: [{ type: "tool_use", id: "toolu_01A09q90qw90lq917835lq9", name: "get_weather", input: JSON.parse(WEATHER_CALL_ARGUMENTS) }],
          stop_reason: "tool_use",
          usage: { input_tokens: 12, output_tokens: 6 },
        }),
      // JSON mode is a forced tool whose input is the answer.
      json: () =>
        fake.messageReply({ content: [{ type: "tool_use", id: "toolu_01JsonAnswer00000000000", name: "json_response", input: JSON_ANSWER }], stop_reason: "tool_use" }),
      stream: (script) => STREAMS[script](),
      // Anthropic reports usage on every answer and stream: there is no answer without it to count.
      error(kind) {
        const [status, type, message] = ERRORS[kind];
        return { reply: fake.errorReply(status, type, message, errorHeaders(kind)), message: `anthropic: ${type}: ${message}` };
      },
      streamErrorMessage: "anthropic: overloaded_error: Overloaded",
    },
    expect: {
      text: TEXT,
      streamText: "Hello from upstream",
      toolCalls: [{ id: "toolu_01A09q90qw90lq917835lq9", name: "get_weather", arguments: WEATHER_CALL_ARGUMENTS }],
      streamedToolCalls: [{ id: "toolu_01T1x1fJ34qAmk2tNTrN7Up6", name: "get_weather", arguments: '{"location": "Paris"}' }],
      json: JSON_ANSWER,
    },
  },
];

import { OPENAI_COMPATIBLE_PROVIDERS } from "../../../../src/providers/openai-compatible/index.js";
import * as fake from "../../../support/fake-upstreams/openai.js";
import type { Reply } from "../../../support/fake-upstreams/scripted-server.js";
import {
  JSON_ANSWER,
  errorHeaders,
  sseEvents,
  TEXT,
  transcript,
  WEATHER_CALL_ARGUMENTS,
  type ConformanceKit,
  type ErrorCase,
  type Feature,
  type Params,
  type Purpose,
  type StreamScript,
  type UpstreamKit,
} from "../kit.js";

/**
 * One kit for every upstream speaking OpenAI's wire: OpenAI, Azure and
 * each entry of the OpenAI-compatible table (so a new compatible provider
 * is one table entry and joins the suite by itself).
 */

/** The key every deployment here sends; the fake's 401 message echoes it, so the suite sees it masked. */
const KEY = "sk-test-secret-key-0123456789";

const ERROR_NAMES: Record<ErrorCase, keyof typeof fake.ERRORS> = {
  bad_request: "badRequest",
  unauthenticated: "unauthorized",
  forbidden: "forbidden",
  not_found: "notFound",
  timeout: "timeout",
  too_large: "tooLarge",
  rate_limited: "rateLimited",
  server_error: "serverError",
  unavailable: "unavailable",
  context_window: "contextLength",
};

const completion = (message: Record<string, unknown>, finish: string, usage?: Record<string, number>) =>
  fake.jsonReply(200, fake.chatCompletion({ choices: [{ index: 0, message: { role: "assistant", refusal: null, ...message }, logprobs: null, finish_reason: finish }], usage }));

const USAGE = { prompt_tokens: 12, completion_tokens: 6, total_tokens: 18 };

function upstream(provider: string): UpstreamKit {
  const events = () => sseEvents(transcript("openai", "text.sse"));
  const streams: Record<StreamScript, () => Reply> = {
    text: () => fake.openAiStream(events()),
    tools: () => fake.openAiStream(sseEvents(transcript("openai", "tools.sse"))),
    cut: () => fake.openAiStream(events().slice(0, 2), { ending: "cut" }),
    unterminated: () => fake.openAiStream(events().filter((e) => e !== "data: [DONE]\n\n")),
    error_event: () => fake.openAiStream(sseEvents(transcript("openai", "error.sse"))),
    hang: () => fake.openAiStream(events().slice(0, 2), { ending: "hang" }),
  };
  return {
    wire: "openai",
    async start() {
      const server = await fake.startOpenAiFake();
      return { server, enqueue: (...replies) => void server.enqueue(...replies) };
    },
    text: () => completion({ content: TEXT }, "stop", USAGE),
    toolCall: () =>
      completion({ content: null, tool_calls: [{ id: "call_a", type: "function", function: { name: "get_weather", arguments: WEATHER_CALL_ARGUMENTS } }] }, "tool_calls", USAGE),
    json: () => completion({ content: JSON.stringify(JSON_ANSWER) }, "stop", USAGE),
    stream: (script) => streams[script](),
    withoutUsage: {
      unary: () => completion({ content: TEXT }, "stop"),
      // The transcript without its usage chunk (the one with no choices), as servers that ignore include_usage send it.
      stream: () => fake.openAiStream(events().filter((e) => !e.includes('"choices":[]'))),
    },
    error(kind) {
      const { status, error } = fake.ERRORS[ERROR_NAMES[kind]]!;
      return { reply: fake.openAiError(status, error, errorHeaders(kind)), message: `${provider}: ${error.message.replace(KEY, "[REDACTED]")}` };
    },
    streamErrorMessage: `${provider}: The server had an error while processing your request.`,
    embed: () => [fake.jsonReply(200, fake.embeddingAnswer(1))],
    image: () => fake.jsonReply(200, fake.imageAnswer(false)),
    moderate: () => fake.jsonReply(200, fake.moderationAnswer(["I will kill the process"])),
  };
}

function openAiWireKit(provider: string, params: (url: string, purpose: Purpose) => Params, refuses: Feature[] = []): ConformanceKit {
  return {
    provider,
    refuses,
    upstream: upstream(provider),
    params: (url, purpose) => params(url!, purpose),
    secret: KEY,
    expect: {
      text: TEXT,
      streamText: "Hello from upstream",
      toolCalls: [{ id: "call_a", name: "get_weather", arguments: WEATHER_CALL_ARGUMENTS }],
      streamedToolCalls: [
        { id: "call_DdmO9pD3xa9XTPNJ32zg2hcA", name: "get_weather", arguments: '{"location": "Paris"}' },
        { id: "call_ABCwU9d8S3HjH8bNgiPwq9h2", name: "get_time", arguments: '{"tz": "Europe/Paris"}' },
      ],
      json: JSON_ANSWER,
    },
  };
}

const OPENAI_MODELS: Record<Purpose, string> = {
  chat: "gpt-4o",
  slow: "gpt-4o",
  embed: "text-embedding-3-small",
  image: "dall-e-3",
  moderate: "omni-moderation-latest",
};

export const kits: ConformanceKit[] = [
  openAiWireKit("openai", (url, purpose) => ({ model: OPENAI_MODELS[purpose], apiBase: `${url}/v1`, apiKey: KEY })),
  // Azure addresses a deployment (params.model) under /openai/deployments/, keyed by api-key.
  openAiWireKit("azure", (url, purpose) => ({ model: OPENAI_MODELS[purpose], apiBase: url, apiKey: KEY, apiVersion: "2024-10-21" })),
  ...OPENAI_COMPATIBLE_PROVIDERS.map((spec) => {
    // A model from the provider's price table where it has one, so gateway answers carry a cost.
    const model = Object.keys(spec.prices ?? {})[0] ?? "some-model";
    const refuses: Feature[] = [...(spec.dialect.tools ? [] : ["tools" as const]), ...(spec.dialect.images ? [] : ["images" as const])];
    return openAiWireKit(spec.name, (url) => ({ model, apiBase: `${url}/v1`, apiKey: KEY }), refuses);
  }),
];

import { toJson } from "@bufbuild/protobuf";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  EmbeddingResponseSchema,
  ErrorKind,
  FinishReason,
  ImageGenerationResponseSchema,
  ModelResponseSchema,
  ModerationResponseSchema,
  ResponseFormatType,
  ToolChoiceMode,
} from "../../gen/ts/switchyard/v1/inference_pb.js";
import { GatewayError } from "../../src/errors/gateway-error.js";
import { openaiProvider } from "../../src/providers/openai/index.js";
import type { ProviderAdapter } from "../../src/providers/provider.js";
import {
  chatCompletion,
  chunk,
  contentDelta,
  ERRORS,
  jsonReply,
  openAiError,
  openAiStream,
  PIXEL_PNG_BASE64,
  sseEvent,
  startOpenAiFake,
  textStreamEvents,
  toolCallStreamEvents,
  type ScriptedServer,
} from "../support/fake-upstreams/openai.js";
import { adapterFor, call, collect, completion, failure, HELLO, HELLO_INIT, TEST_KEY } from "./openai-helpers.js";

let fake: ScriptedServer;
let openai: ProviderAdapter;

beforeAll(async () => {
  fake = await startOpenAiFake();
  openai = adapterFor(openaiProvider, { model: "gpt-4o", apiBase: `${fake.url}/v1`, apiKey: TEST_KEY, organization: "org-abc" });
});
afterAll(async () => {
  await openai.close?.();
  await fake.close();
});
beforeEach(() => {
  fake.requests.length = 0;
});

describe("openai chat completions (unary)", () => {
  it("sends every unified field in OpenAI's wire shape, with provider_options merged", async () => {
    await openai.complete!(
      completion({
        model: "test",
        messages: [
          { role: "developer", content: "Be brief." },
          {
            role: "user",
            name: "ada",
            parts: [
              { part: { case: "text", value: "What is in these images?" } },
              { part: { case: "image", value: { source: { case: "url", value: "https://example.com/cat.png" }, detail: "low" } } },
              { part: { case: "image", value: { source: { case: "data", value: new Uint8Array([1, 2, 3]) }, mimeType: "image/png" } } },
            ],
          },
          { role: "assistant", toolCalls: [{ id: "call_1", function: { name: "lookup", arguments: '{"q":"cat"}' } }] },
          { role: "tool", toolCallId: "call_1", content: '{"answer":"a cat"}' },
        ],
        tools: [
          {
            function: {
              name: "lookup",
              description: "Looks things up",
              parameters: { type: "object", properties: { q: { type: "string" } }, required: ["q"] },
              strict: true,
            },
          },
        ],
        toolChoice: { choice: { case: "functionName", value: "lookup" } },
        parallelToolCalls: false,
        responseFormat: {
          type: ResponseFormatType.JSON_SCHEMA,
          jsonSchema: { name: "answer", description: "The answer", schema: { type: "object" }, strict: true },
        },
        temperature: 0.2,
        topP: 0.9,
        maxTokens: 256,
        stop: ["END"],
        n: 2,
        seed: 42n,
        presencePenalty: 0.5,
        frequencyPenalty: -0.5,
        user: "user-7",
        metadata: { team: "search" },
        options: { providerOptions: { logprobs: true, top_logprobs: 2, service_tier: "flex" } },
      }),
      call(),
    );

    const sent = fake.lastRequest;
    expect(sent.method).toBe("POST");
    expect(sent.path).toBe("/v1/chat/completions");
    expect(sent.headers.authorization).toBe(`Bearer ${TEST_KEY}`);
    expect(sent.headers["openai-organization"]).toBe("org-abc");
    expect(sent.headers["content-type"]).toBe("application/json");
    expect(sent.headers.accept).toBe("application/json");
    expect(sent.json()).toEqual({
      model: "gpt-4o",
      messages: [
        { role: "developer", content: "Be brief." },
        {
          role: "user",
          name: "ada",
          content: [
            { type: "text", text: "What is in these images?" },
            { type: "image_url", image_url: { url: "https://example.com/cat.png", detail: "low" } },
            { type: "image_url", image_url: { url: "data:image/png;base64,AQID" } },
          ],
        },
        { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: "lookup", arguments: '{"q":"cat"}' } }] },
        { role: "tool", tool_call_id: "call_1", content: '{"answer":"a cat"}' },
      ],
      tools: [
        {
          type: "function",
          function: {
            name: "lookup",
            description: "Looks things up",
            parameters: { type: "object", properties: { q: { type: "string" } }, required: ["q"] },
            strict: true,
          },
        },
      ],
      tool_choice: { type: "function", function: { name: "lookup" } },
      parallel_tool_calls: false,
      response_format: {
        type: "json_schema",
        json_schema: { name: "answer", description: "The answer", schema: { type: "object" }, strict: true },
      },
      temperature: 0.2,
      top_p: 0.9,
      max_completion_tokens: 256,
      stop: ["END"],
      n: 2,
      seed: 42,
      presence_penalty: 0.5,
      frequency_penalty: -0.5,
      user: "user-7",
      logprobs: true,
      top_logprobs: 2,
      service_tier: "flex",
    });
  });

  it("sends only the model and messages for a minimal request", async () => {
    await openai.complete!(HELLO, call());
    expect(fake.lastRequest.json()).toEqual({ model: "gpt-4o", messages: [{ role: "user", content: "Hello!" }] });
  });

  it.each([
    [ResponseFormatType.TEXT, { type: "text" }],
    [ResponseFormatType.JSON_OBJECT, { type: "json_object" }],
  ])("sends response_format %s as %j", async (type, wire) => {
    await openai.complete!(completion({ ...HELLO_INIT, responseFormat: { type } }), call());
    expect(fake.lastRequest.json().response_format).toEqual(wire);
  });

  it.each([
    [ToolChoiceMode.AUTO, "auto"],
    [ToolChoiceMode.NONE, "none"],
    [ToolChoiceMode.REQUIRED, "required"],
  ])("sends tool_choice mode %s as %j", async (mode, wire) => {
    await openai.complete!(
      completion({ ...HELLO_INIT, tools: [{ function: { name: "f" } }], toolChoice: { choice: { case: "mode", value: mode } } }),
      call(),
    );
    expect(fake.lastRequest.json().tool_choice).toBe(wire);
    expect(fake.lastRequest.json().tools).toEqual([{ type: "function", function: { name: "f" } }]);
  });

  it("refuses provider_options.stream, naming the field", async () => {
    const err = await failure(openai.complete!(completion({ ...HELLO_INIT, options: { providerOptions: { stream: true } } }), call()));
    expect(err).toBeInstanceOf(GatewayError);
    expect(err.kind).toBe(ErrorKind.INVALID_REQUEST);
    expect(err.field).toBe("options.provider_options.stream");
    expect(fake.requests).toHaveLength(0);
  });

  it("normalizes the answer: id, model, fingerprint, content, finish reason and usage", async () => {
    fake.enqueue(
      jsonReply(
        200,
        chatCompletion({
          usage: {
            prompt_tokens: 19,
            completion_tokens: 10,
            total_tokens: 29,
            prompt_tokens_details: { cached_tokens: 4 },
            completion_tokens_details: { reasoning_tokens: 3 },
          },
        }),
      ),
    );
    const answer = await openai.complete!(HELLO, call());
    expect(toJson(ModelResponseSchema, answer)).toEqual({
      id: "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
      created: "1741569952",
      model: "gpt-4o-2024-08-06",
      systemFingerprint: "fp_50cad350e4",
      choices: [
        { message: { role: "assistant", content: "Hello! How can I assist you today?" }, finishReason: "FINISH_REASON_STOP" },
      ],
      usage: { promptTokens: 19, completionTokens: 10, totalTokens: 29, cachedPromptTokens: 4, reasoningTokens: 3 },
    });
  });

  it("returns parallel tool calls with finish reason TOOL_CALLS", async () => {
    fake.enqueue(
      jsonReply(
        200,
        chatCompletion({
          choices: [
            {
              index: 0,
              message: {
                role: "assistant",
                content: null,
                tool_calls: [
                  { id: "call_a", type: "function", function: { name: "get_weather", arguments: '{"location":"Paris"}' } },
                  { id: "call_b", type: "function", function: { name: "get_time", arguments: '{"tz":"Europe/Paris"}' } },
                ],
              },
              finish_reason: "tool_calls",
            },
          ],
        }),
      ),
    );
    const answer = await openai.complete!(HELLO, call());
    expect(answer.choices[0]!.finishReason).toBe(FinishReason.TOOL_CALLS);
    expect(answer.choices[0]!.message!.content).toBe("");
    expect(answer.choices[0]!.message!.toolCalls.map((c) => [c.id, c.function?.name, c.function?.arguments])).toEqual([
      ["call_a", "get_weather", '{"location":"Paris"}'],
      ["call_b", "get_time", '{"tz":"Europe/Paris"}'],
    ]);
  });

  it("counts usage locally when the upstream reports none", async () => {
    fake.enqueue(jsonReply(200, chatCompletion({ usage: undefined })));
    const answer = await openai.complete!(HELLO, call());
    expect(answer.usage!.promptTokens).toBeGreaterThan(0);
    expect(answer.usage!.completionTokens).toBe(Math.ceil("Hello! How can I assist you today?".length / 4));
  });

  it("answers BAD_RESPONSE for a 200 that is not JSON or has no choices", async () => {
    fake.enqueue((_req, res) => void res.writeHead(200, { "content-type": "text/html" }).end("<html>gateway</html>"));
    expect((await failure(openai.complete!(HELLO, call()))).kind).toBe(ErrorKind.BAD_RESPONSE);
    fake.enqueue(jsonReply(200, { object: "chat.completion" }));
    expect((await failure(openai.complete!(HELLO, call()))).kind).toBe(ErrorKind.BAD_RESPONSE);
  });
});

describe("openai chat completions (streaming)", () => {
  it("asks for usage in the stream and passes deltas through, ending with one chunk carrying finish reason and usage", async () => {
    fake.enqueue(openAiStream(textStreamEvents(["Hel", "lo", "!"])));
    const chunks = await collect(openai.stream!(HELLO, call()));

    expect(fake.lastRequest.headers.accept).toBe("text/event-stream");
    expect(fake.lastRequest.json()).toEqual({
      model: "gpt-4o",
      messages: [{ role: "user", content: "Hello!" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const base = { id: "chatcmpl-123", created: "1741569952", model: "gpt-4o-mini-2024-07-18" };
    expect(chunks).toEqual([
      { ...base, choices: [{ delta: { role: "assistant" } }] },
      { ...base, choices: [{ delta: { content: "Hel" } }] },
      { ...base, choices: [{ delta: { content: "lo" } }] },
      { ...base, choices: [{ delta: { content: "!" } }] },
      {
        ...base,
        choices: [{ delta: {}, finishReason: "FINISH_REASON_STOP" }],
        usage: { promptTokens: 12, completionTokens: 4, totalTokens: 16 },
      },
    ]);
  });

  it("passes tool-call argument deltas split across chunks through, per tool call index", async () => {
    fake.enqueue(openAiStream(toolCallStreamEvents()));
    const chunks = (await collect(openai.stream!(HELLO, call()))) as Array<Record<string, any>>;
    const deltas = chunks.flatMap((c) => c.choices?.[0]?.delta?.toolCalls ?? []);
    expect(deltas).toEqual([
      { id: "call_DdmO9pD3xa9XTPNJ32zg2hcA", name: "get_weather" },
      { arguments: '{"lo' },
      { arguments: 'cation": "Paris"}' },
      { index: 1, id: "call_ABCwU9d8S3HjH8bNgiPwq9h2", name: "get_time" },
      { index: 1, arguments: '{"tz": "Europe/Paris"}' },
    ]);
    const joined = (index: number) =>
      deltas.filter((d) => (d.index ?? 0) === index).map((d) => d.arguments ?? "").join("");
    expect(JSON.parse(joined(0))).toEqual({ location: "Paris" });
    expect(JSON.parse(joined(1))).toEqual({ tz: "Europe/Paris" });
    const last = chunks.at(-1)!;
    expect(last.choices[0].finishReason).toBe("FINISH_REASON_TOOL_CALLS");
    expect(last.usage).toEqual({ promptTokens: 80, completionTokens: 30, totalTokens: 110 });
  });

  it("reassembles events cut at arbitrary byte boundaries (3-byte TCP writes)", async () => {
    fake.enqueue(openAiStream(textStreamEvents(["Grüße", " 👋"]), { splitEvery: 3 }));
    const chunks = (await collect(openai.stream!(HELLO, call()))) as Array<Record<string, any>>;
    expect(chunks.map((c) => c.choices?.[0]?.delta?.content ?? "").join("")).toBe("Grüße 👋");
    expect(chunks.at(-1)!.usage.totalTokens).toBe(16);
  });

  it("counts usage locally when the stream carries none", async () => {
    fake.enqueue(openAiStream(textStreamEvents(["abcdefgh"], { usage: false })));
    const chunks = (await collect(openai.stream!(HELLO, call()))) as Array<Record<string, any>>;
    const last = chunks.at(-1)!;
    expect(last.choices[0].finishReason).toBe("FINISH_REASON_STOP");
    expect(last.usage.completionTokens).toBe(2);
    expect(last.usage.promptTokens).toBeGreaterThan(0);
  });

  it("keeps each choice's finish reason on its own last chunk when n > 1", async () => {
    fake.enqueue(
      openAiStream([
        sseEvent(chunk([contentDelta("A", null, 0)])),
        sseEvent(chunk([contentDelta("B", null, 1)])),
        sseEvent(chunk([contentDelta("", "stop", 0)])),
        sseEvent(chunk([contentDelta("", "length", 1)])),
        sseEvent(chunk([], { usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 } })),
        sseEvent("[DONE]"),
      ]),
    );
    const chunks = (await collect(openai.stream!(completion({ ...HELLO_INIT, n: 2 }), call()))) as Array<Record<string, any>>;
    expect(chunks.map((c) => [c.choices[0].index ?? 0, c.choices[0].finishReason ?? null, c.usage ?? null])).toEqual([
      [0, null, null],
      [1, null, null],
      [0, "FINISH_REASON_STOP", null],
      [1, "FINISH_REASON_LENGTH", { promptTokens: 5, completionTokens: 2, totalTokens: 7 }],
    ]);
  });

  it("fails with UPSTREAM_UNAVAILABLE when the connection drops mid-event, after passing the earlier chunks", async () => {
    const events = textStreamEvents(["one", "two"]);
    fake.enqueue(openAiStream([...events.slice(0, 2), events[2]!.slice(0, 25)], { ending: "cut" }));
    const seen: string[] = [];
    const err = await failure(
      (async function* () {
        for await (const c of openai.stream!(HELLO, call())) seen.push(c.choices[0]?.delta?.content ?? "");
        yield;
      })(),
    );
    expect(seen).toEqual(["", "one"]);
    expect(err).toBeInstanceOf(GatewayError);
    expect(err.kind).toBe(ErrorKind.UPSTREAM_UNAVAILABLE);
  });

  it("fails with UPSTREAM_UNAVAILABLE when the stream ends cleanly but without [DONE]", async () => {
    fake.enqueue(openAiStream(textStreamEvents(["cut short"]).slice(0, -1)));
    const err = await failure(openai.stream!(HELLO, call()));
    expect(err.kind).toBe(ErrorKind.UPSTREAM_UNAVAILABLE);
    expect(err.message).toMatch(/\[DONE\]/);
  });

  it("maps an error object sent inside the stream to its kind, with the provider's message", async () => {
    fake.enqueue(
      openAiStream([
        textStreamEvents(["partial"])[1]!,
        sseEvent({ error: { message: "The server had an error while processing your request.", type: "server_error", param: null, code: null } }),
      ]),
    );
    const err = await failure(openai.stream!(HELLO, call()));
    expect(err.kind).toBe(ErrorKind.UPSTREAM_UNAVAILABLE);
    expect(err.message).toBe("openai: The server had an error while processing your request.");

    fake.enqueue(openAiStream([sseEvent({ error: { message: "Rate limit reached for tokens", type: "tokens", code: "rate_limit_exceeded" } })]));
    expect((await failure(openai.stream!(HELLO, call()))).kind).toBe(ErrorKind.RATE_LIMITED);
  });

  it.each([
    ["truncated JSON", 'data: {"id": "chatcmpl-1", "choices": [\n\n'],
    ["JSON null", "data: null\n\n"],
    ["a JSON number", "data: 42\n\n"],
  ])("fails with BAD_RESPONSE on a malformed event (%s)", async (_name, event) => {
    fake.enqueue(openAiStream([event, sseEvent("[DONE]")]));
    const err = await failure(openai.stream!(HELLO, call()));
    expect(err.kind).toBe(ErrorKind.BAD_RESPONSE);
    expect(err.message).toMatch(/^openai: malformed stream event/);
  });

  it("maps an HTTP error answer to a streaming request before any chunk", async () => {
    fake.enqueue(openAiError(ERRORS.rateLimited!.status, ERRORS.rateLimited!.error, { "retry-after": "7" }));
    const err = await failure(openai.stream!(HELLO, call()));
    expect(err.kind).toBe(ErrorKind.RATE_LIMITED);
    expect(err.retryAfterMs).toBe(7000);
  });
});

describe("openai error mapping", () => {
  const cases: Array<[keyof typeof ERRORS, ErrorKind]> = [
    ["badRequest", ErrorKind.INVALID_REQUEST],
    ["contextLength", ErrorKind.CONTEXT_WINDOW_EXCEEDED],
    ["contentPolicy", ErrorKind.CONTENT_POLICY],
    ["unauthorized", ErrorKind.AUTHENTICATION],
    ["forbidden", ErrorKind.PERMISSION_DENIED],
    ["notFound", ErrorKind.NOT_FOUND],
    ["timeout", ErrorKind.TIMEOUT],
    ["tooLarge", ErrorKind.PAYLOAD_TOO_LARGE],
    ["rateLimited", ErrorKind.RATE_LIMITED],
    ["serverError", ErrorKind.UPSTREAM_UNAVAILABLE],
    ["unavailable", ErrorKind.UPSTREAM_UNAVAILABLE],
    ["overloaded", ErrorKind.UPSTREAM_UNAVAILABLE],
  ];

  it.each(cases)("maps %s to its kind with the provider's message and HTTP status, never the key", async (name, kind) => {
    const { status, error } = ERRORS[name]!;
    fake.enqueue(openAiError(status, error));
    const err = await failure(openai.complete!(HELLO, call()));
    expect(err).toBeInstanceOf(GatewayError);
    expect(err.kind).toBe(kind);
    expect(err.httpStatus).toBe(status);
    expect(err.provider).toBe("openai");
    expect(err.message).toBe(`openai: ${error.message.replace(TEST_KEY, "[REDACTED]")}`);
    expect(err.message).not.toContain(TEST_KEY);
  });

  it("keeps retry-after (seconds), retry-after-ms, or the exhausted limit's x-ratelimit reset", async () => {
    const { status, error } = ERRORS.rateLimited!;
    fake.enqueue(openAiError(status, error, { "retry-after": "2" }));
    expect((await failure(openai.complete!(HELLO, call()))).retryAfterMs).toBe(2000);
    fake.enqueue(openAiError(status, error, { "retry-after-ms": "350", "retry-after": "1" }));
    expect((await failure(openai.complete!(HELLO, call()))).retryAfterMs).toBe(350);
    fake.enqueue(
      openAiError(status, error, {
        "x-ratelimit-remaining-requests": "0",
        "x-ratelimit-reset-requests": "1m2.5s",
        "x-ratelimit-remaining-tokens": "1200",
        "x-ratelimit-reset-tokens": "6m0s",
      }),
    );
    expect((await failure(openai.complete!(HELLO, call()))).retryAfterMs).toBe(62_500);
  });

  it("keeps the text of a non-JSON error answer", async () => {
    fake.enqueue((_req, res) => void res.writeHead(502, { "content-type": "text/html" }).end("<html>502 Bad Gateway</html>"));
    const err = await failure(openai.complete!(HELLO, call()));
    expect(err.kind).toBe(ErrorKind.UPSTREAM_UNAVAILABLE);
    expect(err.message).toBe("openai: <html>502 Bad Gateway</html>");
  });

  it("answers UPSTREAM_UNAVAILABLE when nothing listens at api_base", async () => {
    const closed = await startOpenAiFake();
    const url = closed.url;
    await closed.close();
    const adapter = adapterFor(openaiProvider, { model: "gpt-4o", apiBase: `${url}/v1`, apiKey: TEST_KEY });
    const err = await failure(adapter.complete!(HELLO, call()));
    expect(err.kind).toBe(ErrorKind.UPSTREAM_UNAVAILABLE);
    await adapter.close?.();
  });
});

describe("openai embeddings, images and moderation", () => {
  it("embeds: sends model, input, dimensions and user; returns vectors in input order with usage", async () => {
    fake.enqueue(
      jsonReply(200, {
        object: "list",
        data: [
          { object: "embedding", index: 1, embedding: [0.5, 0.25] },
          { object: "embedding", index: 0, embedding: [0.125, -0.5] },
        ],
        model: "text-embedding-3-small",
        usage: { prompt_tokens: 9, total_tokens: 9 },
      }),
    );
    const answer = await openai.embed!({ model: "test", input: ["first", "second"], dimensions: 2, user: "u1" } as never, call());
    expect(fake.lastRequest.path).toBe("/v1/embeddings");
    expect(fake.lastRequest.json()).toEqual({ model: "gpt-4o", input: ["first", "second"], dimensions: 2, user: "u1" });
    expect(toJson(EmbeddingResponseSchema, answer)).toEqual({
      model: "text-embedding-3-small",
      data: [{ vector: [0.125, -0.5] }, { index: 1, vector: [0.5, 0.25] }],
      usage: { promptTokens: 9, totalTokens: 9 },
    });
  });

  it("generates images: sends the image fields; returns b64_json as bytes or the hosted URL", async () => {
    fake.enqueue(jsonReply(200, { created: 1_700_000_000, data: [{ b64_json: PIXEL_PNG_BASE64, revised_prompt: "a fox" }], output_format: "webp" }));
    const answer = await openai.generateImage!(
      { model: "test", prompt: "a fox", n: 1, size: "1024x1024", quality: "hd", style: "vivid", user: "u1", options: { providerOptions: { response_format: "b64_json" } } } as never,
      call(),
    );
    expect(fake.lastRequest.path).toBe("/v1/images/generations");
    expect(fake.lastRequest.json()).toEqual({
      model: "gpt-4o",
      prompt: "a fox",
      n: 1,
      size: "1024x1024",
      quality: "hd",
      style: "vivid",
      user: "u1",
      response_format: "b64_json",
    });
    const image = answer.images[0]!;
    expect(image.image.case).toBe("data");
    expect(Buffer.from(image.image.value as Uint8Array).toString("base64")).toBe(PIXEL_PNG_BASE64);
    expect(image.mimeType).toBe("image/webp");
    expect(image.revisedPrompt).toBe("a fox");
    expect(answer.created).toBe(1_700_000_000n);

    const hosted = await openai.generateImage!({ model: "test", prompt: "a fox" } as never, call());
    expect(toJson(ImageGenerationResponseSchema, hosted)).toEqual({
      created: "1741569952",
      model: "gpt-4o",
      images: [{ url: "https://oaidalleapiprodscus.blob.core.windows.net/private/img-abc.png", revisedPrompt: "A watercolor fox in a snowy forest" }],
    });
  });

  it("moderates: one result per input with categories and scores", async () => {
    const answer = await openai.moderate!({ model: "test", input: ["I will kill the process", "hello"] } as never, call());
    expect(fake.lastRequest.path).toBe("/v1/moderations");
    expect(fake.lastRequest.json()).toEqual({ model: "gpt-4o", input: ["I will kill the process", "hello"] });
    const json = toJson(ModerationResponseSchema, answer) as any;
    expect(json.id).toBe("modr-0d9740456c391e43c445bf0f010940c7");
    expect(json.results[0].flagged).toBe(true);
    expect(json.results[0].categories.violence).toBe(true);
    expect(json.results[0].categoryScores.violence).toBe(0.9723);
    expect(json.results[1].flagged ?? false).toBe(false);
  });
});

describe("openai factory", () => {
  it("sends params.headers upstream and masks credential-looking ones in error messages", async () => {
    const proxied = adapterFor(openaiProvider, {
      model: "gpt-4o",
      apiBase: `${fake.url}/v1`,
      apiKey: TEST_KEY,
      headers: { "X-Proxy-Key": "proxy-credential-42", "X-Team": "search" },
    });
    fake.enqueue(openAiError(403, { message: "proxy rejected key proxy-credential-42 for team search", type: null, code: null, param: null }));
    const err = await failure(proxied.complete!(HELLO, call()));
    expect(fake.lastRequest.headers["x-proxy-key"]).toBe("proxy-credential-42");
    expect(fake.lastRequest.headers["x-team"]).toBe("search");
    expect(err.message).toBe("openai: proxy rejected key [REDACTED] for team search");
    await proxied.close?.();
  });

  it("offers every call type and knows list prices of well-known models", () => {
    expect(["complete", "stream", "embed", "generateImage", "moderate"].every((m) => typeof (openai as any)[m] === "function")).toBe(true);
    expect(openaiProvider.prices?.["gpt-4o"]).toMatchObject({ inputCostPerToken: 2.5e-6, outputCostPerToken: 10e-6, maxInputTokens: 128_000 });
  });

  it("reads the key from OPENAI_API_KEY when params.api_key is empty, and reports a missing one as a config problem", async () => {
    const { create } = await import("@bufbuild/protobuf");
    const { DeploymentSchema } = await import("../../gen/ts/switchyard/v1/config_pb.js");
    const deployment = create(DeploymentSchema, { modelName: "m", provider: "openai", params: { model: "gpt-4o" } });
    const saved = process.env.OPENAI_API_KEY;
    try {
      delete process.env.OPENAI_API_KEY;
      expect(openaiProvider.validate!(deployment)).toEqual([["api_key", "is required for openai (or set OPENAI_API_KEY)"]]);
      process.env.OPENAI_API_KEY = "sk-from-env-0123456789";
      expect(openaiProvider.validate!(deployment)).toEqual([]);
      const adapter = adapterFor(openaiProvider, { model: "gpt-4o", apiBase: `${fake.url}/v1` });
      await adapter.complete!(HELLO, call());
      expect(fake.lastRequest.headers.authorization).toBe("Bearer sk-from-env-0123456789");
      await adapter.close?.();
    } finally {
      if (saved === undefined) delete process.env.OPENAI_API_KEY;
      else process.env.OPENAI_API_KEY = saved;
    }
  });
});

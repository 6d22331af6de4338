import { create } from "@bufbuild/protobuf";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { DeploymentSchema } from "../../gen/ts/switchyard/v1/config_pb.js";
import {
  CompletionRequestSchema,
  EmbeddingRequestSchema,
  ErrorKind,
  FinishReason,
  ResponseFormatType,
  ToolChoiceMode,
  type CompletionRequest,
  type ModelResponseChunk,
} from "../../gen/ts/switchyard/v1/inference_pb.js";
import { GatewayError } from "../../src/errors/gateway-error.js";
import { GeminiAdapter, geminiProvider } from "../../src/providers/gemini/index.js";
import { FakeClock } from "../support/fake-clock.js";
import * as fake from "../support/fake-upstreams/gemini.js";
import type { ScriptedServer } from "../support/fake-upstreams/scripted-server.js";
import { collect, failure } from "../support/async.js";
import { estimatePromptTokens, estimateTokens } from "../../src/util/tokens.js";

const API_KEY = "AIzaSyTestKey0123456789abcdefghij";
const clock = new FakeClock(Date.UTC(2026, 0, 1));
let upstream: ScriptedServer;
let adapter: GeminiAdapter;

function makeAdapter(params: Record<string, unknown> = {}) {
  return geminiProvider.create(
    create(DeploymentSchema, { modelName: "gemini", provider: "gemini", params: { model: fake.MODEL, apiKey: API_KEY, apiBase: upstream.url, ...params } }),
    { clock },
  ) as GeminiAdapter;
}

const ask = (fields: Parameters<typeof create<typeof CompletionRequestSchema>>[1]): CompletionRequest =>
  create(CompletionRequestSchema, { model: "gemini", ...fields });
const hello = ask({ messages: [{ role: "user", content: "Hello" }] });
const signal = () => ({ signal: new AbortController().signal });



beforeAll(async () => {
  upstream = await fake.startFakeGemini();
  adapter = makeAdapter();
});
afterAll(async () => {
  await adapter.close();
  await upstream.close();
});
afterEach(() => {
  upstream.requests.length = 0;
});

describe("gemini request translation", () => {
  it("sends contents, systemInstruction, images, function calls/responses, tools, toolConfig and generationConfig", async () => {
    upstream.enqueue(fake.generateReply([fake.candidate([{ text: "ok" }], "STOP")]));
    const jpeg = new Uint8Array([0xff, 0xd8, 0xff]);
    await adapter.complete(
      ask({
        messages: [
          { role: "system", content: "Be brief." },
          { role: "user", parts: [{ part: { case: "text", value: "What is in these?" } }, { part: { case: "image", value: { source: { case: "data", value: jpeg }, mimeType: "image/jpeg" } } }] },
          { role: "user", parts: [{ part: { case: "image", value: { source: { case: "url", value: "https://generativelanguage.googleapis.com/v1beta/files/abc" }, mimeType: "image/png" } } }] },
          { role: "assistant", toolCalls: [{ id: "call_get_weather_0", function: { name: "get_weather", arguments: '{"city":"Oslo"}' } }, { id: "call_get_time_1", function: { name: "get_time", arguments: "{}" } }] },
          { role: "tool", toolCallId: "call_get_weather_0", content: '{"temp_c":3}' },
          { role: "tool", toolCallId: "call_get_time_1", content: "14:05" },
        ],
        tools: [
          { function: { name: "get_weather", description: "Weather", parameters: { type: "object", properties: { city: { type: "string" } } } } },
          { function: { name: "get_time" } },
        ],
        toolChoice: { choice: { case: "functionName", value: "get_weather" } },
        temperature: 0.5,
        topP: 0.8,
        maxTokens: 256,
        stop: ["END"],
        n: 2,
        seed: 42n,
        options: { providerOptions: { safetySettings: [{ category: "HARM_CATEGORY_HARASSMENT", threshold: "BLOCK_NONE" }], generationConfig: { topK: 40 } } },
      }),
      signal(),
    );
    const req = upstream.lastRequest;
    expect(req.method).toBe("POST");
    expect(req.path).toBe(`/v1beta/models/${fake.MODEL}:generateContent`);
    expect(req.headers["x-goog-api-key"]).toBe(API_KEY);
    expect(req.headers["content-type"]).toBe("application/json");
    expect(req.json()).toEqual({
      systemInstruction: { parts: [{ text: "Be brief." }] },
      contents: [
        {
          role: "user",
          parts: [
            { text: "What is in these?" },
            { inlineData: { mimeType: "image/jpeg", data: Buffer.from(jpeg).toString("base64") } },
            { fileData: { fileUri: "https://generativelanguage.googleapis.com/v1beta/files/abc", mimeType: "image/png" } },
          ],
        },
        {
          role: "model",
          parts: [{ functionCall: { name: "get_weather", args: { city: "Oslo" } } }, { functionCall: { name: "get_time", args: {} } }],
        },
        {
          role: "user",
          parts: [
            { functionResponse: { name: "get_weather", response: { temp_c: 3 } } },
            { functionResponse: { name: "get_time", response: { output: "14:05" } } },
          ],
        },
      ],
      tools: [
        {
          functionDeclarations: [
            { name: "get_weather", description: "Weather", parameters: { type: "object", properties: { city: { type: "string" } } } },
            { name: "get_time" },
          ],
        },
      ],
      toolConfig: { functionCallingConfig: { mode: "ANY", allowedFunctionNames: ["get_weather"] } },
      generationConfig: { temperature: 0.5, topP: 0.8, maxOutputTokens: 256, stopSequences: ["END"], candidateCount: 2, seed: 42, topK: 40 },
      safetySettings: [{ category: "HARM_CATEGORY_HARASSMENT", threshold: "BLOCK_NONE" }],
    });
  });

  it("maps tool_choice modes to functionCallingConfig and JSON formats to responseMimeType/responseSchema", async () => {
    const modes: Array<[ToolChoiceMode, string]> = [
      [ToolChoiceMode.AUTO, "AUTO"],
      [ToolChoiceMode.REQUIRED, "ANY"],
      [ToolChoiceMode.NONE, "NONE"],
    ];
    for (const [mode, wire] of modes) {
      upstream.enqueue(fake.generateReply([fake.candidate([{ text: "ok" }], "STOP")]));
      await adapter.complete(ask({ messages: [{ role: "user", content: "x" }], tools: [{ function: { name: "f" } }], toolChoice: { choice: { case: "mode", value: mode } } }), signal());
      expect(upstream.lastRequest.json().toolConfig).toEqual({ functionCallingConfig: { mode: wire } });
    }
    const schema = { type: "object", properties: { answer: { type: "string" } } };
    upstream.enqueue(fake.generateReply([fake.candidate([{ text: '{"answer":"4"}' }], "STOP")]));
    const answer = await adapter.complete(
      ask({ messages: [{ role: "user", content: "2+2" }], responseFormat: { type: ResponseFormatType.JSON_SCHEMA, jsonSchema: { name: "a", schema } } }),
      signal(),
    );
    expect(upstream.lastRequest.json().generationConfig).toEqual({ responseMimeType: "application/json", responseSchema: schema });
    expect(answer.choices[0]!.message?.content).toBe('{"answer":"4"}');
    upstream.enqueue(fake.generateReply([fake.candidate([{ text: "{}" }], "STOP")]));
    await adapter.complete(ask({ messages: [{ role: "user", content: "x" }], responseFormat: { type: ResponseFormatType.JSON_OBJECT } }), signal());
    expect(upstream.lastRequest.json().generationConfig).toEqual({ responseMimeType: "application/json" });
  });

  it("drops JSON Schema keys Gemini rejects ($schema, additionalProperties) but keeps properties of those names", async () => {
    upstream.enqueue(fake.generateReply([fake.candidate([{ text: "ok" }], "STOP")]));
    const parameters = {
      $schema: "http://json-schema.org/draft-07/schema#",
      type: "object",
      additionalProperties: false,
      properties: { additionalProperties: { type: "string" }, nested: { type: "object", additionalProperties: false, properties: { a: { type: "number" } } } },
    };
    await adapter.complete(ask({ messages: [{ role: "user", content: "x" }], tools: [{ function: { name: "f", parameters } }] }), signal());
    expect(upstream.lastRequest.json().tools[0].functionDeclarations[0].parameters).toEqual({
      type: "object",
      properties: { additionalProperties: { type: "string" }, nested: { type: "object", properties: { a: { type: "number" } } } },
    });
  });

  it("rejects a tool message that answers no known call, naming the field", async () => {
    const err = await failure(adapter.complete(ask({ messages: [{ role: "tool", toolCallId: "nope", content: "1" }] }), signal()));
    expect(err.kind).toBe(ErrorKind.INVALID_REQUEST);
    expect(err.field).toBe("messages[0].tool_call_id");
    expect(upstream.requests).toHaveLength(0);
  });

  it("honours api_version and strips a models/ prefix from the model", async () => {
    const v1 = makeAdapter({ apiVersion: "v1", model: `models/${fake.MODEL}` });
    upstream.enqueue(fake.generateReply([fake.candidate([{ text: "ok" }], "STOP")]));
    await v1.complete(hello, signal());
    expect(upstream.lastRequest.path).toBe(`/v1/models/${fake.MODEL}:generateContent`);
    await v1.close();
  });
});

describe("gemini credentials", () => {
  it("uses GEMINI_API_KEY when params have no api_key, and validation names api_key when no key is anywhere", async () => {
    const saved = { gemini: process.env.GEMINI_API_KEY, google: process.env.GOOGLE_API_KEY };
    try {
      process.env.GEMINI_API_KEY = "AIzaSyFromEnv0123456789abcdefghijk";
      const fromEnv = makeAdapter({ apiKey: "" });
      upstream.enqueue(fake.generateReply([fake.candidate([{ text: "ok" }], "STOP")]));
      await fromEnv.complete(hello, signal());
      expect(upstream.lastRequest.headers["x-goog-api-key"]).toBe("AIzaSyFromEnv0123456789abcdefghijk");
      await fromEnv.close();
      delete process.env.GEMINI_API_KEY;
      delete process.env.GOOGLE_API_KEY;
      const deployment = create(DeploymentSchema, { provider: "gemini", params: { model: fake.MODEL } });
      expect(geminiProvider.validate!(deployment)).toEqual([["api_key", "is required (or set GEMINI_API_KEY)"]]);
    } finally {
      for (const [name, value] of [["GEMINI_API_KEY", saved.gemini], ["GOOGLE_API_KEY", saved.google]] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });
});

describe("gemini answers", () => {
  it("counts usage locally when the answer has no usageMetadata, so the call is never free", async () => {
    upstream.enqueue(fake.generateReply([fake.candidate([{ text: "Twelve characters." }], "STOP")], null));
    const answer = await adapter.complete(hello, signal());
    expect(answer.usage).toMatchObject({ promptTokens: estimatePromptTokens(hello), completionTokens: estimateTokens("Twelve characters.") });
  });

  it("normalizes candidates, skips thought parts, and fills usage incl. cached and thinking tokens", async () => {
    upstream.enqueue(
      fake.generateReply(
        [fake.candidate([{ text: "thinking…", thought: true }, { text: "Hello" }, { text: " there" }], "STOP"), fake.candidate([{ text: "Hi" }], "MAX_TOKENS", 1)],
        fake.usage(100, 30, { cachedContentTokenCount: 64, thoughtsTokenCount: 12 }),
      ),
    );
    const answer = await adapter.complete(hello, signal());
    expect(answer.id).toBe(fake.RESPONSE_ID);
    expect(answer.model).toBe(fake.MODEL);
    expect(answer.choices.map((c) => [c.index, c.message?.content, c.finishReason])).toEqual([
      [0, "Hello there", FinishReason.STOP],
      [1, "Hi", FinishReason.LENGTH],
    ]);
    expect(answer.usage).toMatchObject({ promptTokens: 100, completionTokens: 42, totalTokens: 142, cachedPromptTokens: 64, reasoningTokens: 12 });
  });

  it("returns functionCall parts as tool calls with ids that round-trip into functionResponse names", async () => {
    upstream.enqueue(fake.generateReply([fake.candidate([{ functionCall: { name: "get_weather", args: { city: "Oslo" } } }], "STOP")]));
    const answer = await adapter.complete(hello, signal());
    const call = answer.choices[0]!.message!.toolCalls[0]!;
    expect([call.id, call.function?.name, call.function?.arguments]).toEqual(["call_get_weather_0", "get_weather", '{"city":"Oslo"}']);
    expect(answer.choices[0]!.finishReason).toBe(FinishReason.TOOL_CALLS);
    upstream.enqueue(fake.generateReply([fake.candidate([{ text: "3 degrees" }], "STOP")]));
    await adapter.complete(ask({ messages: [{ role: "user", content: "w?" }, answer.choices[0]!.message!, { role: "tool", toolCallId: call.id, content: "3" }] }), signal());
    expect(upstream.lastRequest.json().contents[2]).toEqual({ role: "user", parts: [{ functionResponse: { name: "get_weather", response: { output: 3 } } }] });
  });

  it("maps SAFETY finish to CONTENT_FILTER and a blocked prompt to CONTENT_POLICY", async () => {
    upstream.enqueue(fake.generateReply([fake.candidate([], "SAFETY")]));
    expect((await adapter.complete(hello, signal())).choices[0]!.finishReason).toBe(FinishReason.CONTENT_FILTER);
    upstream.enqueue((_req, res) => void res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ promptFeedback: { blockReason: "SAFETY" }, usageMetadata: fake.usage(7) })));
    const err = await failure(adapter.complete(hello, signal()));
    expect(err.kind).toBe(ErrorKind.CONTENT_POLICY);
    expect(err.message).toBe("gemini: prompt blocked (blockReason SAFETY)");
  });
});

describe("gemini errors", () => {
  const cases: Array<[number, string, string, ErrorKind, unknown[]?]> = [
    [400, "INVALID_ARGUMENT", "Invalid JSON payload received. Unknown name \"foo\"", ErrorKind.INVALID_REQUEST],
    [400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.", ErrorKind.AUTHENTICATION, [{ "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "API_KEY_INVALID", domain: "googleapis.com" }]],
    [400, "INVALID_ARGUMENT", "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).", ErrorKind.CONTEXT_WINDOW_EXCEEDED],
    [403, "PERMISSION_DENIED", "Method doesn't allow unregistered callers.", ErrorKind.PERMISSION_DENIED],
    [404, "NOT_FOUND", "models/gemini-9 is not found for API version v1beta", ErrorKind.NOT_FOUND],
    [429, "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota).", ErrorKind.RATE_LIMITED],
    [500, "INTERNAL", "An internal error has occurred.", ErrorKind.UPSTREAM_UNAVAILABLE],
    [503, "UNAVAILABLE", "The model is overloaded. Please try again later.", ErrorKind.UPSTREAM_UNAVAILABLE],
    [504, "DEADLINE_EXCEEDED", "Deadline expired before operation could complete.", ErrorKind.TIMEOUT],
  ];
  for (const [code, status, message, kind, details] of cases) {
    it(`maps HTTP ${code} ${status} (${message.slice(0, 30)}…) to ${ErrorKind[kind]}`, async () => {
      upstream.enqueue(fake.errorReply(code, status, message, details));
      const err = await failure(adapter.complete(hello, signal()));
      expect(err.kind).toBe(kind);
      expect(err.httpStatus).toBe(code);
      expect(err.message).toBe(`gemini: ${status}: ${message}`);
    });
  }

  it("keeps retry-after on 429", async () => {
    upstream.enqueue(fake.errorReply(429, "RESOURCE_EXHAUSTED", "quota", [], { "retry-after": "3" }));
    expect((await failure(adapter.complete(hello, signal()))).retryAfterMs).toBe(3000);
  });
});

describe("gemini streaming", () => {
  it("streams text from alt=sse events, with finish reason and the last usage on the final chunk", async () => {
    upstream.enqueue(fake.sseReply(fake.textStream(["The", " quick", " fox."])));
    const chunks = await collect(adapter.stream(hello, signal()));
    expect(upstream.lastRequest.path).toBe(`/v1beta/models/${fake.MODEL}:streamGenerateContent?alt=sse`);
    expect(chunks.map((c) => c.choices[0]!.delta?.content)).toEqual(["The", " quick", " fox.", ""]);
    expect(chunks.map((c) => c.choices[0]!.delta?.role)).toEqual(["assistant", "", "", ""]);
    expect(chunks.every((c) => c.id === fake.RESPONSE_ID)).toBe(true);
    expect(chunks.slice(0, -1).every((c) => c.usage === undefined)).toBe(true);
    const last = chunks[chunks.length - 1]!;
    expect(last.choices[0]!.finishReason).toBe(FinishReason.STOP);
    expect(last.usage).toMatchObject({ promptTokens: 8, completionTokens: 20, totalTokens: 28 });
  });

  it("streams function calls as whole tool-call deltas and finishes with TOOL_CALLS", async () => {
    upstream.enqueue(
      fake.sseReply([
        fake.response([fake.candidate([{ text: "Checking." }])], fake.usage(30)),
        fake.response([fake.candidate([{ functionCall: { name: "get_weather", args: { city: "Oslo" } } }, { functionCall: { name: "get_time", args: {} } }], "STOP")], fake.usage(30, 15)),
      ]),
    );
    const chunks = await collect(adapter.stream(hello, signal()));
    expect(chunks.flatMap((c) => c.choices[0]!.delta!.toolCalls.map((t) => [t.index, t.id, t.name, t.arguments]))).toEqual([
      [0, "call_get_weather_0", "get_weather", '{"city":"Oslo"}'],
      [1, "call_get_time_1", "get_time", "{}"],
    ]);
    expect(chunks[chunks.length - 1]!.choices[0]!.finishReason).toBe(FinishReason.TOOL_CALLS);
  });

  it("counts usage locally when the stream carries no usageMetadata", async () => {
    upstream.enqueue(fake.sseReply([{ candidates: [fake.candidate([{ text: "sixteen chars!!!" }], "STOP")] }]));
    const last = (await collect(adapter.stream(hello, signal()))).at(-1)!;
    expect(last.usage?.completionTokens).toBe(4);
    expect(last.usage?.promptTokens).toBeGreaterThan(0);
    expect(last.usage?.totalTokens).toBe(last.usage!.promptTokens + 4);
  });

  it("fails a stream cut before the finishReason, and one that ends without it", async () => {
    const events = fake.textStream(["a", "b", "c"]);
    upstream.enqueue(fake.sseReply(events.slice(0, 2), "cut"));
    expect((await failure(collect(adapter.stream(hello, signal())))).kind).toBe(ErrorKind.UPSTREAM_UNAVAILABLE);
    upstream.enqueue(fake.sseReply(events.slice(0, 2)));
    const err = await failure(collect(adapter.stream(hello, signal())));
    expect(err.kind).toBe(ErrorKind.UPSTREAM_UNAVAILABLE);
    expect(err.message).toBe("gemini: stream broken: ended before every candidate reported a finishReason");
  });

  it("maps an error object inside the stream and a malformed event", async () => {
    upstream.enqueue(fake.sseReply([fake.textStream(["a", "b"])[0], { error: { code: 503, message: "The model is overloaded.", status: "UNAVAILABLE" } }]));
    const err = await failure(collect(adapter.stream(hello, signal())));
    expect(err.kind).toBe(ErrorKind.UPSTREAM_UNAVAILABLE);
    expect(err.message).toBe("gemini: UNAVAILABLE: The model is overloaded.");
    upstream.enqueue(fake.sseReply(["{\"candidates\": [ oops"]));
    expect((await failure(collect(adapter.stream(hello, signal())))).kind).toBe(ErrorKind.BAD_RESPONSE);
  });
});

describe("gemini embeddings", () => {
  it("embeds through batchEmbedContents and counts usage locally", async () => {
    upstream.enqueue((_req, res) => void res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ embeddings: [{ values: [0.1, 0.2] }, { values: [0.3, 0.4] }] })));
    const emb = makeAdapter({ model: "gemini-embedding-001" });
    const answer = await emb.embed(create(EmbeddingRequestSchema, { model: "e", input: ["hello world", "bye"], dimensions: 2 }), signal());
    const req = upstream.lastRequest;
    expect(req.path).toBe("/v1beta/models/gemini-embedding-001:batchEmbedContents");
    expect(req.json()).toEqual({
      requests: [
        { model: "models/gemini-embedding-001", content: { parts: [{ text: "hello world" }] }, outputDimensionality: 2 },
        { model: "models/gemini-embedding-001", content: { parts: [{ text: "bye" }] }, outputDimensionality: 2 },
      ],
    });
    expect(answer.data.map((d) => [d.index, d.vector.map((v) => Math.round(v * 10) / 10)])).toEqual([
      [0, [0.1, 0.2]],
      [1, [0.3, 0.4]],
    ]);
    expect(answer.usage).toMatchObject({ promptTokens: 4, totalTokens: 4 });
    await emb.close();
  });
});

import { create } from "@bufbuild/protobuf";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { DeploymentSchema } from "../../gen/ts/switchyard/v1/config_pb.js";
import {
  CompletionRequestSchema,
  ErrorKind,
  FinishReason,
  ResponseFormatType,
  ToolChoiceMode,
  type CompletionRequest,
  type ModelResponseChunk,
} from "../../gen/ts/switchyard/v1/inference_pb.js";
import { GatewayError } from "../../src/errors/gateway-error.js";
import { AnthropicAdapter, anthropicProvider } from "../../src/providers/anthropic/index.js";
import { FakeClock } from "../support/fake-clock.js";
import * as fake from "../support/fake-upstreams/anthropic.js";
import type { ScriptedServer } from "../support/fake-upstreams/scripted-server.js";
import { collect, failure } from "../support/async.js";
import { estimatePromptTokens, estimateTokens } from "../../src/util/tokens.js";

const API_KEY = "sk-ant-api03-test-key-1234567890";
const clock = new FakeClock(Date.UTC(2026, 0, 1));
let upstream: ScriptedServer;
let adapter: AnthropicAdapter;

function makeAdapter(params: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  return anthropicProvider.create(
    create(DeploymentSchema, {
      modelName: "claude",
      provider: "anthropic",
      params: { model: fake.MODEL, apiKey: API_KEY, apiBase: upstream.url, ...params },
      ...extra,
    }),
    { clock },
  ) as AnthropicAdapter;
}

const ask = (fields: Parameters<typeof create<typeof CompletionRequestSchema>>[1]): CompletionRequest =>
  create(CompletionRequestSchema, { model: "claude", ...fields });
const hello = ask({ messages: [{ role: "user", content: "Hello" }] });
const signal = () => ({ signal: new AbortController().signal });



beforeAll(async () => {
  upstream = await fake.startFakeAnthropic();
  adapter = makeAdapter();
});
afterAll(async () => {
  await adapter.close();
  await upstream.close();
});
afterEach(() => {
  upstream.requests.length = 0;
});

describe("anthropic request translation", () => {
  it("sends the exact Messages body and headers: system lifted, roles alternated, images, tool_use and tool_result blocks", async () => {
    upstream.enqueue(fake.messageReply({ content: [{ type: "text", text: "Sunny." }] }));
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47]);
    await adapter.complete(
      ask({
        messages: [
          { role: "system", content: "You are terse." },
          { role: "user", content: "Weather in Paris?" },
          { role: "user", parts: [{ part: { case: "text", value: "And this picture:" } }, { part: { case: "image", value: { source: { case: "data", value: png }, mimeType: "image/png" } } }] },
          { role: "user", parts: [{ part: { case: "image", value: { source: { case: "url", value: "https://example.com/cat.jpg" } } } }] },
          { role: "user", parts: [{ part: { case: "image", value: { source: { case: "url", value: "data:image/gif;base64,R0lGOD==" } } } }] },
          { role: "assistant", content: "Checking.", toolCalls: [{ id: "toolu_1", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }] },
          { role: "tool", toolCallId: "toolu_1", content: '{"sky":"clear"}' },
          { role: "developer", content: "Answer in one word." },
        ],
        tools: [{ function: { name: "get_weather", description: "Weather by city", parameters: { type: "object", properties: { city: { type: "string" } } } } }],
        toolChoice: { choice: { case: "mode", value: ToolChoiceMode.AUTO } },
        stop: ["\n\nHuman:"],
        temperature: 0.2,
        topP: 0.9,
        user: "user-42",
        options: { providerOptions: { top_k: 5, thinking: { type: "enabled", budget_tokens: 1024 } } },
      }),
      signal(),
    );
    const req = upstream.lastRequest;
    expect(req.method).toBe("POST");
    expect(req.path).toBe("/v1/messages");
    expect(req.headers["x-api-key"]).toBe(API_KEY);
    expect(req.headers["anthropic-version"]).toBe("2023-06-01");
    expect(req.headers["content-type"]).toBe("application/json");
    expect(req.headers.authorization).toBeUndefined();
    expect(req.json()).toEqual({
      model: fake.MODEL,
      system: "You are terse.\n\nAnswer in one word.",
      max_tokens: 4096,
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "Weather in Paris?" },
            { type: "text", text: "And this picture:" },
            { type: "image", source: { type: "base64", media_type: "image/png", data: Buffer.from(png).toString("base64") } },
            { type: "image", source: { type: "url", url: "https://example.com/cat.jpg" } },
            { type: "image", source: { type: "base64", media_type: "image/gif", data: "R0lGOD==" } },
          ],
        },
        {
          role: "assistant",
          content: [
            { type: "text", text: "Checking." },
            { type: "tool_use", id: "toolu_1", name: "get_weather", input: { city: "Paris" } },
          ],
        },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: '{"sky":"clear"}' }] },
      ],
      tools: [{ name: "get_weather", description: "Weather by city", input_schema: { type: "object", properties: { city: { type: "string" } } } }],
      tool_choice: { type: "auto" },
      stop_sequences: ["\n\nHuman:"],
      temperature: 0.2,
      top_p: 0.9,
      metadata: { user_id: "user-42" },
      top_k: 5,
      thinking: { type: "enabled", budget_tokens: 1024 },
    });
  });

  it("skips an empty assistant turn and merges the user turns around it", async () => {
    upstream.enqueue(fake.messageReply({ content: [{ type: "text", text: "ok" }] }));
    await adapter.complete(ask({ messages: [{ role: "user", content: "a" }, { role: "assistant", content: "" }, { role: "user", content: "b" }] }), signal());
    expect(upstream.lastRequest.json().messages).toEqual([{ role: "user", content: [{ type: "text", text: "a" }, { type: "text", text: "b" }] }]);
  });

  it("maps every tool_choice and parallel_tool_calls=false to Anthropic's tool_choice", async () => {
    const tools = [{ function: { name: "lookup" } }];
    const cases: Array<[CompletionRequest["toolChoice"] | undefined, boolean | undefined, unknown]> = [
      [{ $typeName: "switchyard.v1.ToolChoice", choice: { case: "mode", value: ToolChoiceMode.REQUIRED } }, undefined, { type: "any" }],
      [{ $typeName: "switchyard.v1.ToolChoice", choice: { case: "mode", value: ToolChoiceMode.NONE } }, undefined, { type: "none" }],
      [{ $typeName: "switchyard.v1.ToolChoice", choice: { case: "functionName", value: "lookup" } }, false, { type: "tool", name: "lookup", disable_parallel_tool_use: true }],
      [undefined, false, { type: "auto", disable_parallel_tool_use: true }],
      [undefined, undefined, undefined],
    ];
    for (const [toolChoice, parallelToolCalls, expected] of cases) {
      upstream.enqueue(fake.messageReply({ content: [{ type: "text", text: "ok" }] }));
      await adapter.complete(ask({ messages: [{ role: "user", content: "x" }], tools, toolChoice, parallelToolCalls }), signal());
      const body = upstream.lastRequest.json();
      expect(body.tool_choice).toEqual(expected);
      expect(body.tools).toEqual([{ name: "lookup", input_schema: { type: "object", properties: {} } }]);
    }
  });

  it("uses max_tokens from the request, else the deployment's max_output_tokens, and api_version from params", async () => {
    upstream.enqueue(fake.messageReply({ content: [] }), fake.messageReply({ content: [] }));
    await adapter.complete(ask({ messages: [{ role: "user", content: "x" }], maxTokens: 77 }), signal());
    expect(upstream.lastRequest.json().max_tokens).toBe(77);
    const configured = makeAdapter({ apiVersion: "2024-01-01", headers: { "anthropic-beta": "prompt-caching-2024-07-31" } }, { maxOutputTokens: 1000 });
    await configured.complete(hello, signal());
    expect(upstream.lastRequest.json().max_tokens).toBe(1000);
    expect(upstream.lastRequest.headers["anthropic-version"]).toBe("2024-01-01");
    expect(upstream.lastRequest.headers["anthropic-beta"]).toBe("prompt-caching-2024-07-31");
    await configured.close();
  });

  it("rejects what Anthropic cannot do with INVALID_REQUEST naming the field, before calling upstream", async () => {
    const cases: Array<[CompletionRequest, string]> = [
      [ask({ messages: [{ role: "user", content: "x" }], n: 2 }), "n"],
      [ask({ messages: [{ role: "user", content: "x" }], seed: 7n }), "seed"],
      [ask({ messages: [{ role: "user", content: "x" }], frequencyPenalty: 0.5 }), "frequency_penalty"],
      [ask({ messages: [{ role: "tool", content: "x" }] }), "messages[0].tool_call_id"],
      [ask({ messages: [{ role: "assistant", toolCalls: [{ id: "a", function: { name: "f", arguments: "{oops" } }] }] }), "messages[0].tool_calls[0].function.arguments"],
      [ask({ messages: [{ role: "user", parts: [{ part: { case: "image", value: { source: { case: "data", value: new Uint8Array([1]) } } } }] }] }), "messages[0].parts[0].image.mime_type"],
      [ask({ messages: [{ role: "user", content: "x" }], tools: [{ function: { name: "f" } }], responseFormat: { type: ResponseFormatType.JSON_OBJECT } }), "response_format"],
    ];
    for (const [request, field] of cases) {
      const err = await failure(adapter.complete(request, signal()));
      expect(err.kind).toBe(ErrorKind.INVALID_REQUEST);
      expect(err.field).toBe(field);
    }
    expect(upstream.requests).toHaveLength(0);
  });
});

describe("anthropic credentials", () => {
  it("uses ANTHROPIC_API_KEY when params have no api_key, and validation names api_key when neither is set", async () => {
    const saved = process.env.ANTHROPIC_API_KEY;
    try {
      process.env.ANTHROPIC_API_KEY = "sk-ant-from-env-0123456789";
      const fromEnv = makeAdapter({ apiKey: "" });
      upstream.enqueue(fake.messageReply({ content: [{ type: "text", text: "ok" }] }));
      await fromEnv.complete(hello, signal());
      expect(upstream.lastRequest.headers["x-api-key"]).toBe("sk-ant-from-env-0123456789");
      await fromEnv.close();
      delete process.env.ANTHROPIC_API_KEY;
      const deployment = create(DeploymentSchema, { provider: "anthropic", params: { model: fake.MODEL } });
      expect(anthropicProvider.validate!(deployment)).toEqual([["api_key", "is required (or set ANTHROPIC_API_KEY)"]]);
    } finally {
      if (saved === undefined) delete process.env.ANTHROPIC_API_KEY;
      else process.env.ANTHROPIC_API_KEY = saved;
    }
  });
});

describe("anthropic answers", () => {
  it("counts usage locally when the answer reports none, so the call is never free", async () => {
    upstream.enqueue(fake.messageReply({ content: [{ type: "text", text: "Twelve characters." }], usage: {} }));
    const answer = await adapter.complete(hello, signal());
    expect(answer.usage).toMatchObject({ promptTokens: estimatePromptTokens(hello), completionTokens: estimateTokens("Twelve characters.") });
    expect(answer.usage!.totalTokens).toBe(answer.usage!.promptTokens + answer.usage!.completionTokens);
  });

  it("normalizes text, usage with cache tokens and the stop reason", async () => {
    upstream.enqueue(
      fake.messageReply({
        content: [{ type: "thinking", thinking: "hmm", signature: "sig" }, { type: "text", text: "Hi " }, { type: "text", text: "there" }],
        stop_reason: "max_tokens",
        usage: { input_tokens: 10, output_tokens: 20, cache_read_input_tokens: 100, cache_creation_input_tokens: 50 },
      }),
    );
    const answer = await adapter.complete(hello, signal());
    expect(answer.id).toBe("msg_01XFDUDYJgAACzvnptvVoYEL");
    expect(answer.model).toBe(fake.MODEL);
    expect(answer.created).toBe(BigInt(Date.UTC(2026, 0, 1) / 1000));
    expect(answer.choices).toHaveLength(1);
    expect(answer.choices[0]!.message?.content).toBe("Hi there");
    expect(answer.choices[0]!.finishReason).toBe(FinishReason.LENGTH);
    expect(answer.usage).toMatchObject({ promptTokens: 160, completionTokens: 20, totalTokens: 180, cachedPromptTokens: 100, cacheCreationPromptTokens: 50 });
  });

  it("returns tool_use blocks as tool calls with finish reason TOOL_CALLS", async () => {
    upstream.enqueue(
      fake.messageReply({
        content: [
          { type: "text", text: "Let me look." },
          { type: "tool_use", id: "toolu_01A09q90qw90lq917835lq9", name: "get_weather", input: { location: "San Francisco, CA" } },
          { type: "tool_use", id: "toolu_02", name: "get_time", input: {} },
        ],
        stop_reason: "tool_use",
      }),
    );
    const answer = await adapter.complete(hello, signal());
    const message = answer.choices[0]!.message!;
    expect(message.content).toBe("Let me look.");
    expect(message.toolCalls.map((c) => [c.id, c.function?.name, c.function?.arguments])).toEqual([
      ["toolu_01A09q90qw90lq917835lq9", "get_weather", '{"location":"San Francisco, CA"}'],
      ["toolu_02", "get_time", "{}"],
    ]);
    expect(answer.choices[0]!.finishReason).toBe(FinishReason.TOOL_CALLS);
  });

  it("produces JSON output through a forced json_response tool whose input becomes the content", async () => {
    upstream.enqueue(fake.messageReply({ content: [{ type: "tool_use", id: "toolu_9", name: "json_response", input: { city: "Paris" } }], stop_reason: "tool_use" }));
    const schema = { type: "object", properties: { city: { type: "string" } }, required: ["city"] };
    const answer = await adapter.complete(
      ask({ messages: [{ role: "user", content: "Capital of France as JSON" }], responseFormat: { type: ResponseFormatType.JSON_SCHEMA, jsonSchema: { name: "capital", schema } } }),
      signal(),
    );
    const body = upstream.lastRequest.json();
    expect(body.tools).toEqual([{ name: "json_response", description: "Respond with a JSON object.", input_schema: schema }]);
    expect(body.tool_choice).toEqual({ type: "tool", name: "json_response" });
    expect(answer.choices[0]!.message?.content).toBe('{"city":"Paris"}');
    expect(answer.choices[0]!.message?.toolCalls).toEqual([]);
    expect(answer.choices[0]!.finishReason).toBe(FinishReason.STOP);
  });

  it("maps refusal to CONTENT_FILTER", async () => {
    upstream.enqueue(fake.messageReply({ content: [], stop_reason: "refusal" }));
    const answer = await adapter.complete(hello, signal());
    expect(answer.choices[0]!.finishReason).toBe(FinishReason.CONTENT_FILTER);
  });
});

describe("anthropic errors", () => {
  const cases: Array<[number, string, string, ErrorKind]> = [
    [400, "invalid_request_error", "messages: roles must alternate", ErrorKind.INVALID_REQUEST],
    [400, "invalid_request_error", "prompt is too long: 215000 tokens > 200000 maximum", ErrorKind.CONTEXT_WINDOW_EXCEEDED],
    [401, "authentication_error", "invalid x-api-key", ErrorKind.AUTHENTICATION],
    [403, "permission_error", "Your API key does not have permission to use the specified resource.", ErrorKind.PERMISSION_DENIED],
    [404, "not_found_error", "model: claude-9", ErrorKind.NOT_FOUND],
    [413, "request_too_large", "Request exceeds the maximum allowed number of bytes.", ErrorKind.PAYLOAD_TOO_LARGE],
    [429, "rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit", ErrorKind.RATE_LIMITED],
    [500, "api_error", "An unexpected error has occurred internal to Anthropic's systems.", ErrorKind.UPSTREAM_UNAVAILABLE],
    [504, "timeout_error", "Request timed out", ErrorKind.TIMEOUT],
    [529, "overloaded_error", "Overloaded", ErrorKind.UPSTREAM_UNAVAILABLE],
  ];
  for (const [status, type, message, kind] of cases) {
    it(`maps HTTP ${status} ${type} to ${ErrorKind[kind]} with Anthropic's message`, async () => {
      upstream.enqueue(fake.errorReply(status, type, message));
      const err = await failure(adapter.complete(hello, signal()));
      expect(err.kind).toBe(kind);
      expect(err.httpStatus).toBe(status);
      expect(err.provider).toBe("anthropic");
      expect(err.message).toBe(`anthropic: ${type}: ${message}`);
    });
  }

  it("maps a non-JSON 503 from a proxy in front of Anthropic to UPSTREAM_UNAVAILABLE with its text", async () => {
    upstream.enqueue((_req, res) => void res.writeHead(503, { "content-type": "text/plain" }).end("upstream connect error or disconnect/reset before headers"));
    const err = await failure(adapter.complete(hello, signal()));
    expect(err.kind).toBe(ErrorKind.UPSTREAM_UNAVAILABLE);
    expect(err.httpStatus).toBe(503);
    expect(err.message).toBe("anthropic: upstream connect error or disconnect/reset before headers");
  });

  it("keeps retry-after on 429 and never echoes the API key", async () => {
    upstream.enqueue(fake.errorReply(429, "rate_limit_error", `rate limited for key ${API_KEY}`, { "retry-after": "17" }));
    const err = await failure(adapter.complete(hello, signal()));
    expect(err.kind).toBe(ErrorKind.RATE_LIMITED);
    expect(err.retryAfterMs).toBe(17_000);
    expect(err.message).not.toContain(API_KEY);
    expect(err.message).toContain("[REDACTED]");
  });

  it("reports a non-JSON 200 answer as BAD_RESPONSE", async () => {
    upstream.enqueue((_req, res) => void res.writeHead(200, { "content-type": "text/html" }).end("<html>gateway</html>"));
    expect((await failure(adapter.complete(hello, signal()))).kind).toBe(ErrorKind.BAD_RESPONSE);
  });
});

describe("anthropic streaming", () => {
  it("streams text deltas, skipping ping, with finish reason and usage on the last chunk", async () => {
    upstream.enqueue(fake.sseReply(fake.textStreamEvents(["Hello", "!", " How can I help?"])));
    const chunks = await collect(adapter.stream(hello, signal()));
    expect(upstream.lastRequest.json().stream).toBe(true);
    expect(upstream.lastRequest.headers.accept).toBe("text/event-stream");
    expect(chunks.map((c) => c.choices[0]!.delta?.content)).toEqual(["Hello", "!", " How can I help?", ""]);
    expect(chunks.map((c) => c.choices[0]!.delta?.role)).toEqual(["assistant", "", "", ""]);
    expect(new Set(chunks.map((c) => c.id))).toEqual(new Set(["msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY"]));
    expect(chunks.slice(0, -1).every((c) => c.usage === undefined && c.choices[0]!.finishReason === FinishReason.UNSPECIFIED)).toBe(true);
    const last = chunks[chunks.length - 1]!;
    expect(last.choices[0]!.finishReason).toBe(FinishReason.STOP);
    expect(last.usage).toMatchObject({ promptTokens: 25, completionTokens: 15, totalTokens: 40 });
  });

  it("streams a tool call from content_block_start and input_json_delta, tolerating thinking and signature deltas", async () => {
    upstream.enqueue(
      fake.sseReply([
        fake.messageStart({ input_tokens: 472, output_tokens: 2, cache_read_input_tokens: 30, cache_creation_input_tokens: 0 }),
        fake.thinkingBlockStart(0),
        fake.thinkingDelta(0, "The user wants weather."),
        fake.signatureDelta(0),
        fake.blockStop(0),
        ...fake.toolStreamEvents().slice(1).map((e) => e.replace(/"index":1/g, '"index":2').replace(/"index":0/g, '"index":1')),
      ]),
    );
    const chunks = await collect(adapter.stream(hello, signal()));
    const deltas = chunks.map((c) => c.choices[0]!.delta!);
    expect(deltas.map((d) => d.content).join("")).toBe("Let me check the weather.");
    expect(deltas.flatMap((d) => d.toolCalls.map((t) => [t.index, t.id, t.name, t.arguments]))).toEqual([
      [0, "toolu_01T1x1fJ34qAmk2tNTrN7Up6", "get_weather", ""],
      [0, "", "", '{"location":'],
      [0, "", "", ' "San Francisco, CA"}'],
    ]);
    const last = chunks[chunks.length - 1]!;
    expect(last.choices[0]!.finishReason).toBe(FinishReason.TOOL_CALLS);
    expect(last.usage).toMatchObject({ promptTokens: 502, completionTokens: 89, cachedPromptTokens: 30 });
  });

  it("parses events split across TCP writes", async () => {
    const wire = fake.textStreamEvents(["split ", "across ", "reads"]).join("");
    const pieces = Array.from({ length: Math.ceil(wire.length / 7) }, (_, i) => wire.slice(i * 7, i * 7 + 7));
    upstream.enqueue(fake.sseReply(pieces));
    const chunks = await collect(adapter.stream(hello, signal()));
    expect(chunks.map((c) => c.choices[0]!.delta?.content).join("")).toBe("split across reads");
    expect(chunks[chunks.length - 1]!.choices[0]!.finishReason).toBe(FinishReason.STOP);
  });

  it("streams JSON output of the forced tool as content", async () => {
    upstream.enqueue(
      fake.sseReply([
        fake.messageStart(),
        fake.toolBlockStart(0, "toolu_j", "json_response"),
        fake.jsonDelta(0, '{"ok":'),
        fake.jsonDelta(0, "true}"),
        fake.blockStop(0),
        fake.messageDelta("tool_use"),
        fake.messageStop(),
      ]),
    );
    const chunks = await collect(adapter.stream(ask({ messages: [{ role: "user", content: "x" }], responseFormat: { type: ResponseFormatType.JSON_OBJECT } }), signal()));
    expect(upstream.lastRequest.json().tools[0].input_schema).toEqual({ type: "object" });
    expect(chunks.map((c) => c.choices[0]!.delta?.content).join("")).toBe('{"ok":true}');
    expect(chunks.flatMap((c) => c.choices[0]!.delta!.toolCalls)).toEqual([]);
    expect(chunks[chunks.length - 1]!.choices[0]!.finishReason).toBe(FinishReason.STOP);
  });

  it("turns a mid-stream overloaded_error event into UPSTREAM_UNAVAILABLE after the chunks already sent", async () => {
    upstream.enqueue(fake.sseReply([fake.messageStart(), fake.textBlockStart(0), fake.textDelta(0, "Partial"), fake.errorEvent("overloaded_error", "Overloaded")]));
    const seen: string[] = [];
    const err = await failure(
      (async () => {
        for await (const c of adapter.stream(hello, signal())) seen.push(c.choices[0]!.delta!.content);
      })(),
    );
    expect(seen).toEqual(["Partial"]);
    expect(err.kind).toBe(ErrorKind.UPSTREAM_UNAVAILABLE);
    expect(err.message).toBe("anthropic: overloaded_error: Overloaded");
  });

  it("maps a mid-stream rate_limit_error event to RATE_LIMITED", async () => {
    upstream.enqueue(fake.sseReply([fake.messageStart(), fake.errorEvent("rate_limit_error", "slow down")]));
    expect((await failure(collect(adapter.stream(hello, signal())))).kind).toBe(ErrorKind.RATE_LIMITED);
  });

  it("fails a stream whose connection is dropped mid-event", async () => {
    const events = fake.textStreamEvents(["never", "finished"]);
    upstream.enqueue(fake.sseReply([...events.slice(0, 4), events[4]!.slice(0, 20)], "cut"));
    const err = await failure(collect(adapter.stream(hello, signal())));
    expect(err.kind).toBe(ErrorKind.UPSTREAM_UNAVAILABLE);
  });

  it("fails a stream that ends cleanly but without message_stop", async () => {
    upstream.enqueue(fake.sseReply(fake.textStreamEvents(["almost"]).slice(0, -1)));
    const err = await failure(collect(adapter.stream(hello, signal())));
    expect(err.kind).toBe(ErrorKind.UPSTREAM_UNAVAILABLE);
    expect(err.message).toBe("anthropic: stream broken: ended before message_stop");
  });

  it("passes over server tool blocks (server_tool_use input) but rejects deltas for blocks that never started", async () => {
    upstream.enqueue(
      fake.sseReply([
        fake.messageStart(),
        'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{}}}\n\n',
        fake.jsonDelta(0, '{"query":"weather"}'),
        fake.blockStop(0),
        fake.textBlockStart(1),
        fake.textDelta(1, "Found it."),
        fake.blockStop(1),
        fake.messageDelta("end_turn"),
        fake.messageStop(),
      ]),
    );
    const chunks = await collect(adapter.stream(hello, signal()));
    expect(chunks.map((c) => c.choices[0]!.delta?.content).join("")).toBe("Found it.");
    expect(chunks.flatMap((c) => c.choices[0]!.delta!.toolCalls)).toEqual([]);
    upstream.enqueue(fake.sseReply([fake.messageStart(), fake.jsonDelta(3, "{}")]));
    expect((await failure(collect(adapter.stream(hello, signal())))).kind).toBe(ErrorKind.BAD_RESPONSE);
  });

  it("reports a malformed event as BAD_RESPONSE", async () => {
    upstream.enqueue(fake.sseReply([fake.messageStart(), "event: content_block_delta\ndata: {not json\n\n"]));
    expect((await failure(collect(adapter.stream(hello, signal())))).kind).toBe(ErrorKind.BAD_RESPONSE);
  });

  it("maps an HTTP error before the stream starts like a unary one", async () => {
    upstream.enqueue(fake.errorReply(529, "overloaded_error", "Overloaded"));
    const err = await failure(collect(adapter.stream(hello, signal())));
    expect(err.kind).toBe(ErrorKind.UPSTREAM_UNAVAILABLE);
    expect(err.httpStatus).toBe(529);
  });
});

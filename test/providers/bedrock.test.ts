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
import { BedrockAdapter, bedrockProvider } from "../../src/providers/bedrock/index.js";
import { FakeClock } from "../support/fake-clock.js";
import * as fake from "../support/fake-upstreams/bedrock.js";
import { jsonReply, type Reply, type ScriptedServer } from "../support/fake-upstreams/scripted-server.js";
import { collect, failure } from "../support/async.js";
import { estimatePromptTokens, estimateTokens } from "../../src/util/tokens.js";

const clock = new FakeClock(Date.UTC(2026, 0, 1, 9, 30, 0));
let upstream: Awaited<ReturnType<typeof fake.startFakeBedrock>>;
let adapter: BedrockAdapter;

const CREDENTIAL_PARAMS = {
  awsAccessKeyId: fake.TEST_CREDENTIALS.accessKeyId,
  awsSecretAccessKey: fake.TEST_CREDENTIALS.secretAccessKey,
  awsSessionToken: fake.TEST_CREDENTIALS.sessionToken,
};

function makeAdapter(params: Record<string, unknown> = {}) {
  return bedrockProvider.create(
    create(DeploymentSchema, {
      modelName: "claude-bedrock",
      provider: "bedrock",
      params: { model: fake.MODEL_ID, region: fake.REGION, apiBase: upstream.url, ...CREDENTIAL_PARAMS, ...params },
    }),
    { clock },
  ) as BedrockAdapter;
}

const ask = (fields: Parameters<typeof create<typeof CompletionRequestSchema>>[1]): CompletionRequest =>
  create(CompletionRequestSchema, { model: "claude-bedrock", ...fields });
const hello = ask({ messages: [{ role: "user", content: "Hello" }] });
const signal = () => ({ signal: new AbortController().signal });
const converseStreamPath = `/model/${encodeURIComponent(fake.MODEL_ID)}/converse-stream`;



beforeAll(async () => {
  upstream = await fake.startFakeBedrock();
  adapter = makeAdapter();
});
afterAll(async () => {
  await adapter.close();
  await (upstream as ScriptedServer).close();
});
afterEach(() => {
  upstream.requests.length = 0;
  // Every request in these tests must have been correctly signed unless a test says otherwise.
  expect(fake.rejectedSignatures.splice(0)).toEqual([]);
});

describe("bedrock signing", () => {
  it("signs Converse with SigV4 (verified by the fake with the AWS signer) and percent-encodes the model id", async () => {
    upstream.enqueueSigned(fake.converseReply([{ text: "Hi" }]));
    await adapter.complete(hello, signal());
    const req = upstream.lastRequest;
    expect(req.method).toBe("POST");
    expect(req.path).toBe("/model/anthropic.claude-3-5-haiku-20241022-v1%3A0/converse");
    expect(req.headers["x-amz-date"]).toBe("20260101T093000Z");
    expect(req.headers["x-amz-security-token"]).toBe(fake.TEST_CREDENTIALS.sessionToken);
    expect(req.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20260101\/us-east-1\/bedrock\/aws4_request, SignedHeaders=[a-z0-9;-]*host[a-z0-9;-]*, Signature=[0-9a-f]{64}$/,
    );
    expect(await fake.signatureProblem(req)).toBeUndefined();
  });

  it("is rejected by the fake when signed with the wrong secret (the check is real)", async () => {
    const wrong = makeAdapter({ awsSecretAccessKey: "not-the-secret-key-0000000000000000000000" });
    upstream.enqueueSigned(fake.converseReply([{ text: "never" }]));
    const err = await failure(wrong.complete(hello, signal()));
    expect(err.kind).toBe(ErrorKind.AUTHENTICATION);
    expect(err.httpStatus).toBe(403);
    expect(err.message).toContain("InvalidSignatureException: The request signature we calculated does not match");
    expect(err.message).not.toContain("not-the-secret-key");
    expect(fake.rejectedSignatures.splice(0)).toEqual(["signature mismatch"]);
    await wrong.close();
  });

  it("takes credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN when params have none", async () => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: fake.TEST_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: fake.TEST_CREDENTIALS.secretAccessKey,
      AWS_SESSION_TOKEN: fake.TEST_CREDENTIALS.sessionToken,
    });
    try {
      const fromEnv = makeAdapter({ awsAccessKeyId: "", awsSecretAccessKey: "", awsSessionToken: "" });
      upstream.enqueueSigned(fake.converseReply([{ text: "env ok" }]));
      expect((await fromEnv.complete(hello, signal())).choices[0]!.message?.content).toBe("env ok");
      delete process.env.AWS_ACCESS_KEY_ID;
      const err = await failure(fromEnv.complete(hello, signal()));
      expect(err.kind).toBe(ErrorKind.AUTHENTICATION);
      expect(err.message).toContain("no AWS credentials");
      await fromEnv.close();
    } finally {
      for (const key of ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"]) {
        if (saved[key] === undefined) delete process.env[key];
        else process.env[key] = saved[key];
      }
    }
  });

  it("validates region and credential pairs at config load", () => {
    const problems = bedrockProvider.validate!(create(DeploymentSchema, { provider: "bedrock", params: { model: "", awsAccessKeyId: "AKID" } }));
    expect(problems.map(([field]) => field)).toEqual(expect.arrayContaining(["model", "aws_secret_access_key"]));
  });
});

describe("bedrock request translation", () => {
  it("sends the exact Converse body: system blocks, merged turns, images, toolUse/toolResult, inferenceConfig, toolConfig", async () => {
    upstream.enqueueSigned(fake.converseReply([{ text: "ok" }]));
    const png = new Uint8Array([0x89, 0x50]);
    await adapter.complete(
      ask({
        messages: [
          { role: "system", content: "Be precise." },
          { role: "user", parts: [{ part: { case: "text", value: "Look:" } }, { part: { case: "image", value: { source: { case: "data", value: png }, mimeType: "image/png" } } }] },
          { role: "user", parts: [{ part: { case: "image", value: { source: { case: "url", value: "data:image/jpeg;base64,/9j/4A==" } } } }] },
          { role: "assistant", toolCalls: [{ id: "tooluse_1", function: { name: "get_weather", arguments: '{"city":"Seattle"}' } }] },
          { role: "tool", toolCallId: "tooluse_1", content: '{"temp_f":51}' },
          { role: "tool", toolCallId: "tooluse_2", content: "plain text result" },
        ],
        tools: [{ function: { name: "get_weather", description: "Weather", parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } } }],
        toolChoice: { choice: { case: "mode", value: ToolChoiceMode.REQUIRED } },
        maxTokens: 300,
        temperature: 0.1,
        topP: 0.95,
        stop: ["###"],
        options: { providerOptions: { additionalModelRequestFields: { top_k: 50 } } },
      }),
      signal(),
    );
    expect(upstream.lastRequest.headers["content-type"]).toBe("application/json");
    expect(upstream.lastRequest.json()).toEqual({
      system: [{ text: "Be precise." }],
      messages: [
        {
          role: "user",
          content: [
            { text: "Look:" },
            { image: { format: "png", source: { bytes: Buffer.from(png).toString("base64") } } },
            { image: { format: "jpeg", source: { bytes: "/9j/4A==" } } },
          ],
        },
        { role: "assistant", content: [{ toolUse: { toolUseId: "tooluse_1", name: "get_weather", input: { city: "Seattle" } } }] },
        {
          role: "user",
          content: [
            { toolResult: { toolUseId: "tooluse_1", content: [{ json: { temp_f: 51 } }] } },
            { toolResult: { toolUseId: "tooluse_2", content: [{ text: "plain text result" }] } },
          ],
        },
      ],
      inferenceConfig: { maxTokens: 300, temperature: 0.1, topP: 0.95, stopSequences: ["###"] },
      toolConfig: {
        tools: [{ toolSpec: { name: "get_weather", description: "Weather", inputSchema: { json: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } } } }],
        toolChoice: { any: {} },
      },
      additionalModelRequestFields: { top_k: 50 },
    });
  });

  it("rejects what Converse cannot take with INVALID_REQUEST naming the field, before signing or sending", async () => {
    const cases: Array<[CompletionRequest, string]> = [
      [ask({ messages: [{ role: "user", parts: [{ part: { case: "image", value: { source: { case: "url", value: "https://example.com/a.png" } } } }] }] }), "messages[0].parts[0].image.url"],
      [ask({ messages: [{ role: "user", parts: [{ part: { case: "image", value: { source: { case: "data", value: new Uint8Array([1]) }, mimeType: "image/tiff" } } }] }] }), "messages[0].parts[0].image.mime_type"],
      [ask({ messages: [{ role: "user", content: "x" }], tools: [{ function: { name: "f" } }], toolChoice: { choice: { case: "mode", value: ToolChoiceMode.NONE } } }), "tool_choice"],
      [ask({ messages: [{ role: "user", content: "x" }], n: 3 }), "n"],
    ];
    for (const [request, field] of cases) {
      const err = await failure(adapter.complete(request, signal()));
      expect(err.kind).toBe(ErrorKind.INVALID_REQUEST);
      expect(err.field).toBe(field);
    }
    expect(upstream.requests).toHaveLength(0);
  });
});

describe("bedrock answers", () => {
  it("counts usage locally when the answer reports none, so the call is never free", async () => {
    upstream.enqueueSigned(fake.converseReply([{ text: "Twelve characters." }], "end_turn", {}));
    const answer = await adapter.complete(hello, signal());
    expect(answer.usage).toMatchObject({ promptTokens: estimatePromptTokens(hello), completionTokens: estimateTokens("Twelve characters.") });
  });

  it("normalizes text, toolUse blocks, stop reason and usage incl. cache tokens; the AWS request id is the completion id", async () => {
    upstream.enqueueSigned(
      fake.converseReply(
        [{ text: "Checking " }, { reasoningContent: { reasoningText: { text: "hidden" } } }, { text: "now." }, { toolUse: { toolUseId: "tooluse_abc", name: "get_weather", input: { city: "Seattle" } } }],
        "tool_use",
        { inputTokens: 40, outputTokens: 10, totalTokens: 70, cacheReadInputTokens: 15, cacheWriteInputTokens: 5 },
      ),
    );
    const answer = await adapter.complete(hello, signal());
    expect(answer.id).toBe(fake.REQUEST_ID);
    expect(answer.model).toBe(fake.MODEL_ID);
    const message = answer.choices[0]!.message!;
    expect(message.content).toBe("Checking now.");
    expect(message.toolCalls.map((c) => [c.id, c.function?.name, c.function?.arguments])).toEqual([["tooluse_abc", "get_weather", '{"city":"Seattle"}']]);
    expect(answer.choices[0]!.finishReason).toBe(FinishReason.TOOL_CALLS);
    expect(answer.usage).toMatchObject({ promptTokens: 60, completionTokens: 10, totalTokens: 70, cachedPromptTokens: 15, cacheCreationPromptTokens: 5 });
  });

  it("serves Llama through the same Converse API (inference-profile id in the path, price from the table)", async () => {
    const llama = makeAdapter({ model: "us.meta.llama3-3-70b-instruct-v1:0" });
    upstream.enqueueSigned(fake.converseReply([{ text: "Llama here." }], "end_turn", { inputTokens: 9, outputTokens: 4, totalTokens: 13 }));
    const answer = await llama.complete(ask({ messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "Who are you?" }], maxTokens: 64 }), signal());
    expect(upstream.lastRequest.path).toBe("/model/us.meta.llama3-3-70b-instruct-v1%3A0/converse");
    expect(upstream.lastRequest.json()).toEqual({
      system: [{ text: "Be brief." }],
      messages: [{ role: "user", content: [{ text: "Who are you?" }] }],
      inferenceConfig: { maxTokens: 64 },
    });
    expect(answer.choices[0]!.message?.content).toBe("Llama here.");
    expect(answer.model).toBe("us.meta.llama3-3-70b-instruct-v1:0");
    expect(bedrockProvider.prices!["us.meta.llama3-3-70b-instruct-v1:0"]?.inputCostPerToken).toBeCloseTo(0.72e-6, 12);
    await llama.close();
  });

  it("maps max_tokens and guardrail_intervened stop reasons", async () => {
    upstream.enqueueSigned(fake.converseReply([{ text: "cut" }], "max_tokens"), fake.converseReply([{ text: "" }], "guardrail_intervened"));
    expect((await adapter.complete(hello, signal())).choices[0]!.finishReason).toBe(FinishReason.LENGTH);
    expect((await adapter.complete(hello, signal())).choices[0]!.finishReason).toBe(FinishReason.CONTENT_FILTER);
  });

  it("produces JSON output through a forced json_response tool", async () => {
    upstream.enqueueSigned(fake.converseReply([{ toolUse: { toolUseId: "t", name: "json_response", input: { ok: true } } }], "tool_use"));
    const answer = await adapter.complete(ask({ messages: [{ role: "user", content: "json" }], responseFormat: { type: ResponseFormatType.JSON_OBJECT } }), signal());
    expect(upstream.lastRequest.json().toolConfig).toEqual({
      tools: [{ toolSpec: { name: "json_response", description: "Respond with a JSON object.", inputSchema: { json: { type: "object" } } } }],
      toolChoice: { tool: { name: "json_response" } },
    });
    expect(answer.choices[0]!.message?.content).toBe('{"ok":true}');
    expect(answer.choices[0]!.finishReason).toBe(FinishReason.STOP);
  });
});

describe("bedrock errors", () => {
  const cases: Array<[number, string, string, ErrorKind]> = [
    [400, "ValidationException", "The model returned the following errors: messages: roles must alternate", ErrorKind.INVALID_REQUEST],
    [400, "ValidationException", "Input is too long for requested model.", ErrorKind.CONTEXT_WINDOW_EXCEEDED],
    [403, "AccessDeniedException", "You don't have access to the model with the specified model ID.", ErrorKind.PERMISSION_DENIED],
    [403, "UnrecognizedClientException", "The security token included in the request is invalid.", ErrorKind.AUTHENTICATION],
    [404, "ResourceNotFoundException", "Could not resolve the foundation model from the provided model identifier.", ErrorKind.NOT_FOUND],
    [408, "ModelTimeoutException", "Model has timed out in processing the request.", ErrorKind.TIMEOUT],
    [429, "ThrottlingException", "Too many requests, please wait before trying again.", ErrorKind.RATE_LIMITED],
    [500, "InternalServerException", "The server encountered an internal error.", ErrorKind.UPSTREAM_UNAVAILABLE],
    [503, "ServiceUnavailableException", "Bedrock is unable to process your request.", ErrorKind.UPSTREAM_UNAVAILABLE],
  ];
  for (const [status, type, message, kind] of cases) {
    it(`maps HTTP ${status} ${type} to ${ErrorKind[kind]}`, async () => {
      upstream.enqueueSigned(fake.errorReply(status, type, message));
      const err = await failure(adapter.complete(hello, signal()));
      expect(err.kind).toBe(kind);
      expect(err.httpStatus).toBe(status);
      expect(err.message).toBe(`bedrock: ${type}: ${message}`);
    });
  }
});

describe("bedrock streaming", () => {
  it("decodes ConverseStream event-stream frames into text chunks with finish reason and usage last", async () => {
    upstream.enqueueSigned(fake.eventStreamReply(fake.textStreamFrames(["Hello", " from", " Bedrock"])));
    const chunks = await collect(adapter.stream(hello, signal()));
    expect(upstream.lastRequest.path).toBe(converseStreamPath);
    expect(upstream.lastRequest.headers.accept).toBe("application/vnd.amazon.eventstream");
    expect(chunks.map((c) => c.choices[0]!.delta?.content)).toEqual(["Hello", " from", " Bedrock", ""]);
    expect(chunks.map((c) => c.choices[0]!.delta?.role)).toEqual(["assistant", "", "", ""]);
    expect(chunks.every((c) => c.id === fake.REQUEST_ID)).toBe(true);
    const last = chunks[chunks.length - 1]!;
    expect(last.choices[0]!.finishReason).toBe(FinishReason.STOP);
    expect(last.usage).toMatchObject({ promptTokens: 25, completionTokens: 30, totalTokens: 55 });
    expect(chunks.slice(0, -1).every((c) => c.usage === undefined)).toBe(true);
  });

  it("streams a tool call from contentBlockStart and toolUse input deltas, skipping reasoning deltas", async () => {
    const frames = fake.toolStreamFrames();
    frames.splice(1, 0, fake.reasoningDelta(0, "thinking quietly"));
    upstream.enqueueSigned(fake.eventStreamReply(frames));
    const chunks = await collect(adapter.stream(hello, signal()));
    const deltas = chunks.map((c) => c.choices[0]!.delta!);
    expect(deltas.map((d) => d.content).join("")).toBe("Let me check.");
    expect(deltas.flatMap((d) => d.toolCalls.map((t) => [t.index, t.id, t.name, t.arguments]))).toEqual([
      [0, "tooluse_kZJMlvQmRJ6eAyJE5GIl7Q", "get_weather", ""],
      [0, "", "", '{"city":'],
      [0, "", "", ' "Seattle"}'],
    ]);
    const last = chunks[chunks.length - 1]!;
    expect(last.choices[0]!.finishReason).toBe(FinishReason.TOOL_CALLS);
    expect(last.usage).toMatchObject({ promptTokens: 380, completionTokens: 52 });
  });

  it("reassembles frames split across arbitrary TCP reads", async () => {
    const bytes = Buffer.concat(fake.textStreamFrames(["byte", "wise"]));
    const pieces = Array.from({ length: Math.ceil(bytes.length / 5) }, (_, i) => bytes.subarray(i * 5, i * 5 + 5));
    upstream.enqueueSigned(fake.eventStreamReply(pieces));
    const chunks = await collect(adapter.stream(hello, signal()));
    expect(chunks.map((c) => c.choices[0]!.delta?.content).join("")).toBe("bytewise");
    expect(chunks[chunks.length - 1]!.choices[0]!.finishReason).toBe(FinishReason.STOP);
  });

  it("maps exception events: throttlingException → RATE_LIMITED, modelStreamErrorException → UPSTREAM_UNAVAILABLE, validationException too long → CONTEXT_WINDOW_EXCEEDED", async () => {
    const cases: Array<[string, string, ErrorKind]> = [
      ["throttlingException", "Too many tokens, please wait before trying again.", ErrorKind.RATE_LIMITED],
      ["modelStreamErrorException", "Model stream error.", ErrorKind.UPSTREAM_UNAVAILABLE],
      ["validationException", "Input is too long for requested model.", ErrorKind.CONTEXT_WINDOW_EXCEEDED],
      ["serviceUnavailableException", "Service unavailable.", ErrorKind.UPSTREAM_UNAVAILABLE],
    ];
    for (const [type, message, kind] of cases) {
      upstream.enqueueSigned(fake.eventStreamReply([fake.messageStart(), fake.textDelta(0, "Partial"), fake.exceptionFrame(type, message)]));
      const seen: string[] = [];
      const err = await failure(
        (async () => {
          for await (const c of adapter.stream(hello, signal())) seen.push(c.choices[0]!.delta!.content);
        })(),
      );
      expect(seen).toEqual(["Partial"]);
      expect(err.kind).toBe(kind);
      expect(err.message).toBe(`bedrock: ${type[0]!.toUpperCase()}${type.slice(1)}: ${message}`);
    }
  });

  it("fails a stream cut mid-frame, one that ends before messageStop, and a frame with a bad checksum", async () => {
    const frames = fake.textStreamFrames(["a", "b"]);
    upstream.enqueueSigned(fake.eventStreamReply([frames[0]!, frames[1]!, frames[2]!.subarray(0, 10)], "cut"));
    expect((await failure(collect(adapter.stream(hello, signal())))).kind).toBe(ErrorKind.UPSTREAM_UNAVAILABLE);

    upstream.enqueueSigned(fake.eventStreamReply([frames[0]!, frames[1]!, frames[2]!.subarray(0, 10)]));
    const truncated = await failure(collect(adapter.stream(hello, signal())));
    expect(truncated.kind).toBe(ErrorKind.UPSTREAM_UNAVAILABLE);
    expect(truncated.message).toBe("bedrock: stream broken: connection closed mid-frame");

    upstream.enqueueSigned(fake.eventStreamReply(frames.slice(0, 3)));
    const unfinished = await failure(collect(adapter.stream(hello, signal())));
    expect(unfinished.message).toBe("bedrock: stream broken: ended before messageStop");

    const corrupt = Uint8Array.from(frames[1]!);
    corrupt[corrupt.length - 6]! ^= 0xff; // flip a payload byte: the message CRC no longer matches
    upstream.enqueueSigned(fake.eventStreamReply([frames[0]!, corrupt]));
    expect((await failure(collect(adapter.stream(hello, signal())))).kind).toBe(ErrorKind.BAD_RESPONSE);
  });

  it("counts usage locally when the stream ends after messageStop without a metadata event", async () => {
    upstream.enqueueSigned(fake.eventStreamReply([fake.messageStart(), fake.textDelta(0, "twelve chars"), fake.messageStop("end_turn")]));
    const chunks = await collect(adapter.stream(hello, signal()));
    const last = chunks[chunks.length - 1]!;
    expect(last.choices[0]!.finishReason).toBe(FinishReason.STOP);
    expect(last.usage?.completionTokens).toBe(3);
    expect(last.usage?.promptTokens).toBeGreaterThan(0);
  });

  it("maps an HTTP error before the stream like a unary one", async () => {
    upstream.enqueueSigned(fake.errorReply(429, "ThrottlingException", "Too many requests", { "retry-after": "2" }));
    const err = await failure(collect(adapter.stream(hello, signal())));
    expect(err.kind).toBe(ErrorKind.RATE_LIMITED);
    expect(err.retryAfterMs).toBe(2000);
  });
});

describe("bedrock embeddings (InvokeModel)", () => {
  const invokeReply = (body: unknown, tokens: number): Reply => jsonReply(200, body, { "x-amzn-bedrock-input-token-count": String(tokens), "x-amzn-requestid": fake.REQUEST_ID });

  it("embeds with Titan: one signed InvokeModel call per input, dimensions passed, usage from Bedrock's token-count header", async () => {
    const titan = makeAdapter({ model: "amazon.titan-embed-text-v2:0" });
    upstream.enqueueSigned(invokeReply({ embedding: [0.5, -0.25], inputTextTokenCount: 3 }, 3), invokeReply({ embedding: [0.125, 1], inputTextTokenCount: 2 }, 2));
    const answer = await titan.embed!(create(EmbeddingRequestSchema, { model: "e", input: ["hello there you", "bye now"], dimensions: 256, options: { providerOptions: { normalize: true } } }), signal());
    // The calls go out concurrently, so they may arrive in either order; the fake answers in arrival order.
    const arrived = upstream.requests.map((r) => [r.path, r.json()] as [string, { inputText: string }]);
    expect(arrived).toEqual(
      expect.arrayContaining([
        ["/model/amazon.titan-embed-text-v2%3A0/invoke", { inputText: "hello there you", dimensions: 256, normalize: true }],
        ["/model/amazon.titan-embed-text-v2%3A0/invoke", { inputText: "bye now", dimensions: 256, normalize: true }],
      ]),
    );
    expect(arrived).toHaveLength(2);
    const replies = [[0.5, -0.25], [0.125, 1]];
    const replyFor = (text: string) => replies[arrived.findIndex(([, body]) => body.inputText === text)];
    expect(answer.data.map((d) => [d.index, d.vector])).toEqual([
      [0, replyFor("hello there you")],
      [1, replyFor("bye now")],
    ]);
    expect(answer.usage).toMatchObject({ promptTokens: 5, totalTokens: 5 });
    await titan.close();
  });

  it("embeds with Cohere in one batch call, input_type defaulting to search_document", async () => {
    const cohere = makeAdapter({ model: "cohere.embed-english-v3" });
    upstream.enqueueSigned(invokeReply({ id: "emb-1", embeddings: [[1, 0], [0, 1]], texts: ["a", "b"], response_type: "embeddings_floats" }, 4));
    const answer = await cohere.embed!(create(EmbeddingRequestSchema, { model: "e", input: ["a", "b"] }), signal());
    expect(upstream.lastRequest.path).toBe("/model/cohere.embed-english-v3/invoke");
    expect(upstream.lastRequest.json()).toEqual({ texts: ["a", "b"], input_type: "search_document" });
    expect(answer.data.map((d) => d.vector)).toEqual([
      [1, 0],
      [0, 1],
    ]);
    expect(answer.usage?.promptTokens).toBe(4);
    await cohere.close();
  });

  it("offers no embeddings on chat models", () => {
    expect(adapter.embed).toBeUndefined();
  });
});

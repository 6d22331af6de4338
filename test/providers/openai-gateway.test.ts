import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ErrorInfoSchema, RetryInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { FinishReason, InferenceService, ToolChoiceMode } from "../../gen/ts/switchyard/v1/inference_pb.js";
import type { Gateway } from "../../src/server/gateway.js";
import { ERRORS, openAiError, openAiStream, startOpenAiFake, textStreamEvents, type ScriptedServer } from "../support/fake-upstreams/openai.js";
import { startTestGateway } from "../support/gateway.js";
import { TEST_KEY } from "./openai-helpers.js";

/**
 * The OpenAI-wire adapters end to end: a real gateway on a free port,
 * real Connect and gRPC clients, and the local fake speaking OpenAI's
 * (and Azure's) wire format.
 */
let fake: ScriptedServer;
let gateway: Gateway;
let connect: Client<typeof InferenceService>;
let grpc: Client<typeof InferenceService>;

const AZURE_KEY = "azure0123456789abcdef0123456789ab";
const ERROR_CASES = ["rateLimited", "unauthorized", "contextLength", "contentPolicy", "forbidden", "notFound", "unavailable"] as const;
const FAILING_GROUPS = [...ERROR_CASES.map((name) => `fails-${name}`), "fails-cut-stream"];

beforeAll(async () => {
  fake = await startOpenAiFake();
  const openai = (model: string) => ({ model, api_base: `${fake.url}/v1`, api_key: TEST_KEY });
  gateway = await startTestGateway(
    JSON.stringify({
      model_list: [
        { model_name: "gpt-4o", provider: "openai", params: openai("gpt-4o") },
        { model_name: "azure-4o", provider: "azure", params: { model: "gpt-4o", api_base: fake.url, api_key: AZURE_KEY, api_version: "2024-10-21" } },
        { model_name: "llama", provider: "groq", params: { model: "llama-3.3-70b-versatile", api_base: `${fake.url}/v1`, api_key: "gsk_0123456789abcdef" } },
        { model_name: "embed", provider: "openai", params: openai("text-embedding-3-small") },
        { model_name: "images", provider: "openai", params: openai("dall-e-3") },
        { model_name: "moderation", provider: "openai", params: openai("omni-moderation-latest") },
        // Failing calls each get a group of their own: a failure may cool its deployment down.
        ...FAILING_GROUPS.map((name) => ({ model_name: name, provider: "openai", params: openai("gpt-4o") })),
      ],
      // One attempt per call, so each scripted upstream answer maps to exactly one client answer.
      router_settings: { num_retries: 0 },
    }),
  );
  connect = createClient(InferenceService, createConnectTransport({ baseUrl: gateway.url, httpVersion: "1.1" }));
  grpc = createClient(InferenceService, createGrpcTransport({ baseUrl: gateway.url }));
});
afterAll(async () => {
  await gateway.close(0);
  await fake.close();
});
beforeEach(() => {
  fake.requests.length = 0;
});

const hello = (model: string) => ({ model, messages: [{ role: "user", content: "Hello!" }] });

describe("Complete and StreamComplete through the gateway", () => {
  it.each([
    ["gpt-4o", "openai", 2.5e-6, 10e-6, "/v1/chat/completions"],
    ["azure-4o", "azure", 2.5e-6, 10e-6, "/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21"],
    ["llama", "groq", 0.59e-6, 0.79e-6, "/v1/chat/completions"],
  ])("Complete on %s (%s): normalized answer, usage and cost from the provider's price table", async (group, provider, input, output, path) => {
    const answer = await connect.complete(hello(group));
    expect(fake.lastRequest.path).toBe(path);
    expect(answer.provider).toBe(provider);
    expect(answer.modelGroup).toBe(group);
    expect(answer.model).toBe("gpt-4o-2024-08-06");
    expect(answer.choices[0]!.message!.content).toBe("Hello! How can I assist you today?");
    expect(answer.choices[0]!.finishReason).toBe(FinishReason.STOP);
    expect(answer.usage).toMatchObject({ promptTokens: 19, completionTokens: 10, totalTokens: 29 });
    expect(answer.costUsd).toBeCloseTo(19 * input + 10 * output, 12);
  });

  it.each(["gpt-4o", "azure-4o", "llama"])("StreamComplete on %s: the same chunk sequence shape, the last chunk with finish reason, usage and cost", async (group) => {
    const chunks = [];
    for await (const chunk of grpc.streamComplete(hello(group))) chunks.push(chunk);
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? "")).toEqual(["", "Hello", " from", " the", " fake", ""]);
    expect(chunks[0]!.choices[0]!.delta!.role).toBe("assistant");
    const last = chunks.at(-1)!;
    expect(last.choices[0]!.finishReason).toBe(FinishReason.STOP);
    expect(last.usage).toMatchObject({ promptTokens: 12, completionTokens: 4, totalTokens: 16 });
    expect(last.costUsd).toBeGreaterThan(0);
    expect(last.attempts).toHaveLength(1);
    expect(chunks.slice(0, -1).every((c) => c.usage === undefined && c.choices[0]!.finishReason === FinishReason.UNSPECIFIED)).toBe(true);
  });

  it("StreamComplete with tools streams tool-call deltas that reassemble into the calls", async () => {
    const calls = new Map<number, { id: string; name: string; arguments: string }>();
    let finish = FinishReason.UNSPECIFIED;
    for await (const chunk of grpc.streamComplete({
      ...hello("gpt-4o"),
      tools: [{ function: { name: "get_weather" } }, { function: { name: "get_time" } }],
      toolChoice: { choice: { case: "mode", value: ToolChoiceMode.REQUIRED } },
    })) {
      for (const delta of chunk.choices[0]?.delta?.toolCalls ?? []) {
        const call = calls.get(delta.index) ?? { id: "", name: "", arguments: "" };
        calls.set(delta.index, { id: call.id || delta.id, name: call.name || delta.name, arguments: call.arguments + delta.arguments });
      }
      if (chunk.choices[0]?.finishReason) finish = chunk.choices[0].finishReason;
    }
    expect(fake.lastRequest.json().tool_choice).toBe("required");
    expect([...calls.values()]).toEqual([
      { id: "call_DdmO9pD3xa9XTPNJ32zg2hcA", name: "get_weather", arguments: '{"location": "Paris"}' },
      { id: "call_ABCwU9d8S3HjH8bNgiPwq9h2", name: "get_time", arguments: '{"tz": "Europe/Paris"}' },
    ]);
    expect(finish).toBe(FinishReason.TOOL_CALLS);
  });

  it("a stream cut mid-way reaches the client as UNAVAILABLE after the chunks that did arrive", async () => {
    const events = textStreamEvents(["partial", "never"]);
    fake.enqueue(openAiStream(events.slice(0, 2), { ending: "cut" }));
    const seen: string[] = [];
    const err = await (async () => {
      for await (const chunk of connect.streamComplete(hello("fails-cut-stream"))) seen.push(chunk.choices[0]?.delta?.content ?? "");
    })().catch((e: unknown) => e);
    expect(seen).toEqual(["", "partial"]);
    expect(ConnectError.from(err).code).toBe(Code.Unavailable);
  });

  it("cancelling StreamComplete aborts the upstream request", async () => {
    fake.enqueue(openAiStream(textStreamEvents(["first"]).slice(0, 2), { ending: "hang" }));
    const aborted = fake.waitForAbort();
    const controller = new AbortController();
    const stream = grpc.streamComplete(hello("gpt-4o"), { signal: controller.signal });
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta?.content === "first") break; // leaving the loop cancels the call
    }
    controller.abort();
    await aborted;
  });
});

describe("Embed, GenerateImage and Moderate through the gateway", () => {
  it("Embed returns one vector per input with usage and cost", async () => {
    const answer = await connect.embed({ model: "embed", input: ["a", "b"], dimensions: 2 });
    expect(fake.lastRequest.json()).toEqual({ model: "text-embedding-3-small", input: ["a", "b"], dimensions: 2 });
    expect(answer.data.map((d) => d.vector)).toEqual([
      [0.125, 0.375],
      [0.25, 0.5],
    ]);
    expect(answer.usage?.promptTokens).toBe(16);
    expect(answer.costUsd).toBeCloseTo(16 * 0.02e-6, 14);
    expect(answer.provider).toBe("openai");
  });

  it("GenerateImage returns the image bytes when b64_json is asked for through provider_options", async () => {
    const answer = await connect.generateImage({ model: "images", prompt: "a fox", options: { providerOptions: { response_format: "b64_json" } } });
    expect(fake.lastRequest.json()).toEqual({ model: "dall-e-3", prompt: "a fox", response_format: "b64_json" });
    expect(answer.images[0]!.image.case).toBe("data");
    expect(answer.images[0]!.mimeType).toBe("image/png");
    expect(answer.images[0]!.revisedPrompt).toBe("A watercolor fox in a snowy forest");
  });

  it("Moderate flags what the moderation model flags", async () => {
    const answer = await connect.moderate({ model: "moderation", input: ["kill it", "hello"] });
    expect(answer.results.map((r) => r.flagged)).toEqual([true, false]);
    expect(answer.results[0]!.categories.violence).toBe(true);
  });

  it("a call type the provider lacks is INVALID_ARGUMENT, not an upstream call", async () => {
    const err = await connect.embed({ model: "llama", input: ["a"] }).catch((e: unknown) => ConnectError.from(e));
    expect((err as ConnectError).code).toBe(Code.InvalidArgument);
    expect(fake.requests).toHaveLength(0);
  });
});

describe("upstream errors through the gateway", () => {
  it("429 → RESOURCE_EXHAUSTED with the provider's message and RetryInfo", async () => {
    fake.enqueue(openAiError(429, ERRORS.rateLimited!.error, { "retry-after": "3" }));
    const err = ConnectError.from(await connect.complete(hello("fails-rateLimited")).catch((e: unknown) => e));
    expect(err.code).toBe(Code.ResourceExhausted);
    expect(err.rawMessage).toBe(`openai: ${ERRORS.rateLimited!.error.message}`);
    expect(err.findDetails(RetryInfoSchema)[0]?.retryDelay?.seconds).toBe(3n);
    expect(err.findDetails(ErrorInfoSchema)[0]).toMatchObject({ reason: "RATE_LIMITED", metadata: { provider: "openai", http_status: "429" } });
  });

  it.each([
    ["unauthorized", Code.Unauthenticated, "AUTHENTICATION"],
    ["contextLength", Code.InvalidArgument, "CONTEXT_WINDOW_EXCEEDED"],
    ["contentPolicy", Code.InvalidArgument, "CONTENT_POLICY"],
    ["forbidden", Code.PermissionDenied, "PERMISSION_DENIED"],
    ["notFound", Code.NotFound, "NOT_FOUND"],
    ["unavailable", Code.Unavailable, "UPSTREAM_UNAVAILABLE"],
  ] as const)("%s → %s (reason %s), never echoing the API key", async (name, code, reason) => {
    const { status, error } = ERRORS[name]!;
    fake.enqueue(openAiError(status, error));
    const err = ConnectError.from(await connect.complete(hello(`fails-${name}`)).catch((e: unknown) => e));
    expect(err.code).toBe(code);
    expect(err.findDetails(ErrorInfoSchema)[0]?.reason).toBe(reason);
    expect(err.rawMessage).toBe(`openai: ${error.message.replace(TEST_KEY, "[REDACTED]")}`);
    expect(err.rawMessage).not.toContain(TEST_KEY);
  });
});

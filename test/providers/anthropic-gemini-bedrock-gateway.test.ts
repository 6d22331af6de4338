import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorInfoSchema, RetryInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { FinishReason, InferenceService, ToolChoiceMode, type ModelResponseChunk } from "../../gen/ts/switchyard/v1/inference_pb.js";
import { anthropicProvider } from "../../src/providers/anthropic/index.js";
import { bedrockProvider } from "../../src/providers/bedrock/index.js";
import { geminiProvider } from "../../src/providers/gemini/index.js";
import type { Gateway } from "../../src/server/gateway.js";
import * as anthropic from "../support/fake-upstreams/anthropic.js";
import * as bedrock from "../support/fake-upstreams/bedrock.js";
import * as gemini from "../support/fake-upstreams/gemini.js";
import type { Reply, ScriptedServer } from "../support/fake-upstreams/scripted-server.js";
import { startTestGateway } from "../support/gateway.js";
import { collect } from "../support/async.js";

/**
 * Anthropic, Gemini and Bedrock end to end: a real gateway on a free port,
 * a real gRPC client, and local fakes speaking each provider's wire format
 * (the Bedrock fake verifying every SigV4 signature).
 */
const ANTHROPIC_KEY = "sk-ant-api03-e2e-test-key-000000";
const GEMINI_KEY = "AIzaSyE2eTestKey0123456789abcdefgh";

let fakes: { anthropic: ScriptedServer; gemini: ScriptedServer; bedrock: Awaited<ReturnType<typeof bedrock.startFakeBedrock>> };
let gateway: Gateway;
let client: Client<typeof InferenceService>;

const PROVIDERS = ["anthropic", "gemini", "bedrock"] as const;
type Provider = (typeof PROVIDERS)[number];

function deployment(provider: Provider, group: string, model?: string) {
  switch (provider) {
    case "anthropic":
      return { model_name: group, provider, params: { model: model ?? anthropic.MODEL, api_base: fakes.anthropic.url, api_key: ANTHROPIC_KEY } };
    case "gemini":
      return { model_name: group, provider, params: { model: model ?? gemini.MODEL, api_base: fakes.gemini.url, api_key: GEMINI_KEY } };
    case "bedrock":
      return {
        model_name: group,
        provider,
        params: {
          model: model ?? bedrock.MODEL_ID,
          api_base: fakes.bedrock.url,
          region: bedrock.REGION,
          aws_access_key_id: bedrock.TEST_CREDENTIALS.accessKeyId,
          aws_secret_access_key: bedrock.TEST_CREDENTIALS.secretAccessKey,
          aws_session_token: bedrock.TEST_CREDENTIALS.sessionToken,
        },
      };
  }
}

/** Scripts the next upstream answer of a provider (Bedrock's only after its signature checks out). */
function script(provider: Provider, reply: Reply): void {
  if (provider === "bedrock") fakes.bedrock.enqueueSigned(reply);
  else fakes[provider].enqueue(reply);
}

const PRICE = {
  anthropic: anthropicProvider.prices![anthropic.MODEL]!,
  gemini: geminiProvider.prices![gemini.MODEL]!,
  bedrock: bedrockProvider.prices![bedrock.MODEL_ID]!,
};

beforeAll(async () => {
  fakes = { anthropic: await anthropic.startFakeAnthropic(), gemini: await gemini.startFakeGemini(), bedrock: await bedrock.startFakeBedrock() };
  gateway = await startTestGateway(
    JSON.stringify({
      model_list: [
        ...PROVIDERS.map((p) => deployment(p, p)),
        // Failing calls get groups of their own: a failure may cool a deployment down.
        ...PROVIDERS.map((p) => deployment(p, `${p}-fails`)),
        deployment("gemini", "gemini-embed", "gemini-embedding-001"),
      ],
      // One attempt per call, so each scripted upstream answer maps to exactly one client answer.
      router_settings: { num_retries: 0 },
    }),
  );
  client = createClient(InferenceService, createGrpcTransport({ baseUrl: gateway.url }));
});
afterAll(async () => {
  await gateway.close(0);
  await Promise.all([fakes.anthropic.close(), fakes.gemini.close(), fakes.bedrock.close()]);
  expect(bedrock.rejectedSignatures).toEqual([]);
});

const hello = (model: string) => ({ model, messages: [{ role: "user", content: "Hello!" }] });


const TEXT_REPLY: Record<Provider, () => Reply> = {
  anthropic: () => anthropic.messageReply({ content: [{ type: "text", text: "Hi there" }], usage: { input_tokens: 12, output_tokens: 6 } }),
  gemini: () => gemini.generateReply([gemini.candidate([{ text: "Hi there" }], "STOP")], gemini.usage(12, 6)),
  bedrock: () => bedrock.converseReply([{ text: "Hi there" }], "end_turn", { inputTokens: 12, outputTokens: 6, totalTokens: 18 }),
};

const TEXT_STREAM: Record<Provider, () => Reply> = {
  anthropic: () => anthropic.sseReply(anthropic.textStreamEvents(["Hello", " from", " upstream"])),
  gemini: () => gemini.sseReply(gemini.textStream(["Hello", " from", " upstream"])),
  bedrock: () => bedrock.eventStreamReply(bedrock.textStreamFrames(["Hello", " from", " upstream"])),
};

const TOOL_STREAM: Record<Provider, { reply: () => Reply; call: { id: string; name: string; arguments: string } }> = {
  anthropic: {
    reply: () => anthropic.sseReply(anthropic.toolStreamEvents()),
    call: { id: "toolu_01T1x1fJ34qAmk2tNTrN7Up6", name: "get_weather", arguments: '{"location": "San Francisco, CA"}' },
  },
  gemini: {
    reply: () => gemini.sseReply([gemini.response([gemini.candidate([{ functionCall: { name: "get_weather", args: { location: "Paris" } } }], "STOP")], gemini.usage(20, 5))]),
    call: { id: "call_get_weather_0", name: "get_weather", arguments: '{"location":"Paris"}' },
  },
  bedrock: {
    reply: () => bedrock.eventStreamReply(bedrock.toolStreamFrames()),
    call: { id: "tooluse_kZJMlvQmRJ6eAyJE5GIl7Q", name: "get_weather", arguments: '{"city": "Seattle"}' },
  },
};

describe.each(PROVIDERS)("%s through the gateway", (provider) => {
  it("Complete: normalized answer with usage and cost from the built-in price table", async () => {
    script(provider, TEXT_REPLY[provider]());
    const answer = await client.complete(hello(provider));
    expect(answer.provider).toBe(provider);
    expect(answer.modelGroup).toBe(provider);
    expect(answer.choices[0]!.message!.content).toBe("Hi there");
    expect(answer.choices[0]!.finishReason).toBe(FinishReason.STOP);
    expect(answer.usage).toMatchObject({ promptTokens: 12, completionTokens: 6, totalTokens: 18 });
    expect(answer.costUsd).toBeCloseTo(12 * PRICE[provider].inputCostPerToken + 6 * PRICE[provider].outputCostPerToken, 12);
  });

  it("StreamComplete: the same normalized chunk sequence as every provider, usage and cost on the last chunk", async () => {
    script(provider, TEXT_STREAM[provider]());
    const chunks = await collect(client.streamComplete(hello(provider)));
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? "")).toEqual(["Hello", " from", " upstream", ""]);
    expect(chunks.map((c) => c.choices[0]?.delta?.role ?? "")).toEqual(["assistant", "", "", ""]);
    expect(chunks.slice(0, -1).every((c) => c.usage === undefined && c.choices[0]!.finishReason === FinishReason.UNSPECIFIED)).toBe(true);
    const last = chunks.at(-1)!;
    expect(last.choices[0]!.finishReason).toBe(FinishReason.STOP);
    expect(last.usage!.totalTokens).toBeGreaterThan(0);
    expect(last.costUsd).toBeCloseTo(last.usage!.promptTokens * PRICE[provider].inputCostPerToken + last.usage!.completionTokens * PRICE[provider].outputCostPerToken, 12);
    expect(last.provider).toBe(provider);
    expect(last.attempts).toHaveLength(1);
  });

  it("StreamComplete with a tool: tool-call deltas reassemble into the call, finish reason TOOL_CALLS", async () => {
    script(provider, TOOL_STREAM[provider].reply());
    const calls = new Map<number, { id: string; name: string; arguments: string }>();
    let finish = FinishReason.UNSPECIFIED;
    for await (const chunk of client.streamComplete({
      ...hello(provider),
      tools: [{ function: { name: "get_weather", parameters: { type: "object", properties: { location: { type: "string" } } } } }],
      toolChoice: { choice: { case: "mode", value: ToolChoiceMode.AUTO } },
    })) {
      for (const delta of chunk.choices[0]?.delta?.toolCalls ?? []) {
        const call = calls.get(delta.index) ?? { id: "", name: "", arguments: "" };
        calls.set(delta.index, { id: call.id || delta.id, name: call.name || delta.name, arguments: call.arguments + delta.arguments });
      }
      if (chunk.choices[0]?.finishReason) finish = chunk.choices[0].finishReason;
    }
    expect([...calls.values()]).toEqual([TOOL_STREAM[provider].call]);
    expect(finish).toBe(FinishReason.TOOL_CALLS);
  });
});

describe("upstream errors through the gateway", () => {
  it("Anthropic 529 overloaded_error → UNAVAILABLE with Anthropic's message", async () => {
    script("anthropic", anthropic.errorReply(529, "overloaded_error", "Overloaded"));
    const err = ConnectError.from(await client.complete(hello("anthropic-fails")).catch((e: unknown) => e));
    expect(err.code).toBe(Code.Unavailable);
    expect(err.rawMessage).toBe("anthropic: overloaded_error: Overloaded");
    expect(err.findDetails(ErrorInfoSchema)[0]).toMatchObject({ reason: "UPSTREAM_UNAVAILABLE" });
  });

  it("Anthropic overloaded_error mid-stream → UNAVAILABLE after the chunks that arrived", async () => {
    script("anthropic", anthropic.sseReply([anthropic.messageStart(), anthropic.textBlockStart(0), anthropic.textDelta(0, "Partial"), anthropic.errorEvent("overloaded_error", "Overloaded")]));
    const seen: string[] = [];
    const err = await (async () => {
      for await (const chunk of client.streamComplete(hello("anthropic-fails"))) seen.push(chunk.choices[0]?.delta?.content ?? "");
    })().catch((e: unknown) => ConnectError.from(e));
    expect(seen).toEqual(["Partial"]);
    expect((err as ConnectError).code).toBe(Code.Unavailable);
    expect((err as ConnectError).rawMessage).toBe("anthropic: overloaded_error: Overloaded");
  });

  it("Gemini context overflow → INVALID_ARGUMENT (CONTEXT_WINDOW_EXCEEDED) with Google's message", async () => {
    const message = "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).";
    script("gemini", gemini.errorReply(400, "INVALID_ARGUMENT", message));
    const err = ConnectError.from(await client.complete(hello("gemini-fails")).catch((e: unknown) => e));
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.rawMessage).toBe(`gemini: INVALID_ARGUMENT: ${message}`);
    expect(err.findDetails(ErrorInfoSchema)[0]?.reason).toBe("CONTEXT_WINDOW_EXCEEDED");
  });

  it("Bedrock ThrottlingException → RESOURCE_EXHAUSTED with AWS's message and RetryInfo", async () => {
    script("bedrock", bedrock.errorReply(429, "ThrottlingException", "Too many requests, please wait before trying again.", { "retry-after": "4" }));
    const err = ConnectError.from(await client.complete(hello("bedrock-fails")).catch((e: unknown) => e));
    expect(err.code).toBe(Code.ResourceExhausted);
    expect(err.rawMessage).toBe("bedrock: ThrottlingException: Too many requests, please wait before trying again.");
    expect(err.findDetails(RetryInfoSchema)[0]?.retryDelay?.seconds).toBe(4n);
  });
});

describe("embeddings and cancellation through the gateway", () => {
  it("Gemini Embed returns one vector per input", async () => {
    script("gemini", (_req, res) => void res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ embeddings: [{ values: [0.5, 0.25] }, { values: [0.125, 1] }] })));
    const answer = await client.embed({ model: "gemini-embed", input: ["a", "b"] });
    expect(fakes.gemini.lastRequest.path).toBe("/v1beta/models/gemini-embedding-001:batchEmbedContents");
    expect(answer.data.map((d) => d.vector)).toEqual([
      [0.5, 0.25],
      [0.125, 1],
    ]);
    expect(answer.provider).toBe("gemini");
  });

  it.each(PROVIDERS)("cancelling StreamComplete on %s aborts the upstream request", async (provider) => {
    const first: Record<Provider, Reply> = {
      anthropic: anthropic.sseReply([anthropic.messageStart(), anthropic.textBlockStart(0), anthropic.textDelta(0, "first")], "hang"),
      gemini: gemini.sseReply(gemini.textStream(["first", "never"]).slice(0, 1), "hang"),
      bedrock: bedrock.eventStreamReply([bedrock.messageStart(), bedrock.textDelta(0, "first")], "hang"),
    };
    const before = fakes[provider].abortedResponses;
    script(provider, first[provider]);
    const controller = new AbortController();
    for await (const chunk of client.streamComplete(hello(provider), { signal: controller.signal })) {
      if (chunk.choices[0]?.delta?.content === "first") break; // leaving the loop cancels the call
    }
    controller.abort();
    await fakes[provider].waitForAbort(before);
  });
});

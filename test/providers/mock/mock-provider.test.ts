import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { DeploymentSchema, MockFailure } from "../../../gen/ts/switchyard/v1/config_pb.js";
import {
  CompletionRequestSchema,
  ErrorKind,
  FinishReason,
  ResponseFormatType,
  ToolChoiceMode,
  type ModelResponseChunk,
} from "../../../gen/ts/switchyard/v1/inference_pb.js";
import { GatewayError } from "../../../src/errors/gateway-error.js";
import { MockAdapter } from "../../../src/providers/mock/index.js";
import { estimatePromptTokens } from "../../../src/util/tokens.js";
import { FakeClock } from "../../support/fake-clock.js";

const deployment = (mock: Record<string, unknown> = {}) =>
  create(DeploymentSchema, { modelName: "mock", provider: "mock", params: { model: "mock-1", mock } });
const request = (extra: Record<string, unknown> = {}) =>
  create(CompletionRequestSchema, { model: "mock", messages: [{ role: "user", content: "tell me a story" }], ...extra });
const ctx = () => ({ signal: new AbortController().signal });

describe("mock provider", () => {
  it("models a provider prompt cache when asked: the longest message prefix it served before comes back as cached tokens", async () => {
    const provider = new MockAdapter(deployment({ promptCache: true }), new FakeClock());
    const system = { role: "system", content: "A long system prompt shared by every turn of the conversation." };
    const turn1 = request({ messages: [system, { role: "user", content: "first question" }] });
    const turn2 = request({ messages: [system, { role: "user", content: "first question" }, { role: "assistant", content: "an answer" }, { role: "user", content: "next" }] });
    const other = request({ messages: [{ role: "system", content: "Another prompt." }, { role: "user", content: "first question" }] });
    expect((await provider.complete(turn1, ctx())).usage?.cachedPromptTokens).toBe(0);
    const second = (await provider.complete(turn2, ctx())).usage!;
    // The first two messages were seen: their tokens (with the prompt's priming) are cached, the rest is not.
    expect(second.cachedPromptTokens).toBe(estimatePromptTokens(turn1));
    expect(second.cachedPromptTokens).toBeLessThan(second.promptTokens);
    expect((await provider.complete(other, ctx())).usage?.cachedPromptTokens).toBe(0);
    // Another deployment has its own cache, and a deployment without prompt_cache reports none.
    expect((await new MockAdapter(deployment({ promptCache: true }), new FakeClock()).complete(turn2, ctx())).usage?.cachedPromptTokens).toBe(0);
    const plain = new MockAdapter(deployment(), new FakeClock());
    await plain.complete(turn2, ctx());
    expect((await plain.complete(turn2, ctx())).usage?.cachedPromptTokens).toBe(0);
  });

  it("answers deterministically with usage", async () => {
    const provider = new MockAdapter(deployment(), new FakeClock());
    const a = await provider.complete(request(), ctx());
    const b = await provider.complete(request(), ctx());
    expect(a.choices[0]?.message?.content).toBe("This is a mock response to: tell me a story");
    expect(b.choices[0]?.message?.content).toBe(a.choices[0]?.message?.content);
    expect(a.usage?.promptTokens).toBeGreaterThan(0);
    expect(a.usage?.totalTokens).toBe(a.usage!.promptTokens + a.usage!.completionTokens);
  });

  it("streams the answer in chunk_count pieces spaced by chunk_delay_ms on the clock", async () => {
    const clock = new FakeClock();
    const provider = new MockAdapter(deployment({ chunkCount: 3, chunkDelayMs: 500 }), clock);
    const seen: Array<{ at: number; chunk: ModelResponseChunk }> = [];
    const start = clock.now();
    const done = (async () => {
      for await (const chunk of provider.stream(request(), ctx())) seen.push({ at: clock.now() - start, chunk });
    })();
    let finished = false;
    void done.then(() => (finished = true));
    while (!finished) {
      await new Promise((resolve) => setImmediate(resolve)); // let the stream run until it parks on the clock
      if (clock.pending > 0) await clock.advance(500);
    }
    expect(seen.map((s) => s.at)).toEqual([0, 500, 1000, 1500]);
    expect(seen.map((s) => s.chunk.choices[0]?.delta?.content).join("")).toBe("This is a mock response to: tell me a story");
    expect(seen.at(-1)?.chunk.choices[0]?.finishReason).toBe(FinishReason.STOP);
    expect(seen.at(-1)?.chunk.usage?.completionTokens).toBeGreaterThan(0);
  });

  it("waits latency_ms before answering and stops when aborted", async () => {
    const clock = new FakeClock();
    const provider = new MockAdapter(deployment({ latencyMs: 1_000 }), clock);
    const controller = new AbortController();
    const answer = provider.complete(request(), { signal: controller.signal });
    expect(clock.pending).toBe(1);
    controller.abort(new Error("client went away"));
    await expect(answer).rejects.toThrow("client went away");
    expect(clock.pending).toBe(0);
  });

  it("injects failures at failure_rate with a reproducible seed", async () => {
    const outcomes = async () => {
      const provider = new MockAdapter(deployment({ failureRate: 0.5, seed: 42n, failureKind: MockFailure.RATE_LIMITED }), new FakeClock());
      const results: string[] = [];
      for (let i = 0; i < 40; i++) {
        results.push(
          await provider.complete(request(), ctx()).then(
            () => "ok",
            (e: GatewayError) => `${e.kind}:${e.httpStatus}:${e.retryAfterMs}`,
          ),
        );
      }
      return results;
    };
    const first = await outcomes();
    expect(await outcomes()).toEqual(first);
    const failures = first.filter((r) => r !== "ok");
    expect(failures.length).toBeGreaterThan(8);
    expect(failures.length).toBeLessThan(32);
    expect(new Set(failures)).toEqual(new Set([`${ErrorKind.RATE_LIMITED}:429:1000`]));
  });

  it("calls the forced tool, and answers JSON when asked", async () => {
    const provider = new MockAdapter(deployment(), new FakeClock());
    const tools = [{ function: { name: "get_weather", description: "weather" } }];
    const called = await provider.complete(request({ tools, toolChoice: { choice: { case: "mode", value: ToolChoiceMode.REQUIRED } } }), ctx());
    expect(called.choices[0]?.finishReason).toBe(FinishReason.TOOL_CALLS);
    expect(called.choices[0]?.message?.toolCalls[0]?.function?.name).toBe("get_weather");
    expect(JSON.parse(called.choices[0]!.message!.toolCalls[0]!.function!.arguments)).toEqual({ input: "tell me a story" });

    const json = await provider.complete(request({ responseFormat: { type: ResponseFormatType.JSON_OBJECT } }), ctx());
    expect(JSON.parse(json.choices[0]!.message!.content)).toEqual({ response: "This is a mock response to: tell me a story" });
  });

  it("stops at max_tokens with finish reason LENGTH", async () => {
    const provider = new MockAdapter(deployment(), new FakeClock());
    const response = await provider.complete(request({ maxTokens: 3 }), ctx());
    expect(response.choices[0]?.message?.content).toBe("This is a");
    expect(response.choices[0]?.finishReason).toBe(FinishReason.LENGTH);
  });
});

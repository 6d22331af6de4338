import { describe, expect, it } from "vitest";
import { AttemptOutcome, ErrorKind } from "../../gen/ts/switchyard/v1/inference_pb.js";
import type { RoutingStrategy } from "../../src/router/strategy.js";
import { chat, collect, ctx, mockDeployment, routerFor, runOnClock } from "./support.js";

describe("streams", () => {
  it("retries a stream that fails before its first chunk and reports the failed try in the final chunk", async () => {
    const t = routerFor({
      model_list: [mockDeployment("g", "only", { fail_first_calls: 1, chunk_count: 3 })],
      router_settings: { num_retries: 1, retry_backoff_ms: 10 },
    });
    const { value } = await runOnClock(t.clock, collect(t.router.stream(chat("g"), ctx())));
    expect(value.error).toBeUndefined();
    const text = value.chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("");
    expect(text).toBe("This is a mock response to: hello");
    const last = value.chunks.at(-1)!;
    expect(last.attempts.map((a) => a.outcome)).toEqual([AttemptOutcome.FAILURE, AttemptOutcome.SUCCESS]);
    expect(last.usage?.totalTokens).toBeGreaterThan(0);
  });

  it("never retries after a chunk has reached the client: the stream ends with the error", async () => {
    // The strategy picks "breaks" whenever it may, so the one stream goes there (no hoping the dice land on it).
    const breaksFirst: RoutingStrategy = {
      name: "breaks-first",
      pick: (candidates) => (candidates.find((c) => c.deployment.id === "breaks") ?? candidates[0]!).deployment,
    };
    const t = routerFor(
      {
        model_list: [
          mockDeployment("g", "breaks", { fail_stream_after_chunks: 1, chunk_count: 4 }),
          mockDeployment("g", "fine", { chunk_count: 4 }),
        ],
        router_settings: { num_retries: 3 },
      },
      { strategy: breaksFirst },
    );
    const { value } = await runOnClock(t.clock, collect(t.router.stream(chat("g"), ctx())));
    expect(value.chunks[0]?.deploymentId).toBe("breaks");
    expect(value.chunks).toHaveLength(1);
    expect(value.error).toMatchObject({ kind: ErrorKind.UPSTREAM_UNAVAILABLE });
    const stats = await t.router.store.stats(["breaks", "fine"]);
    expect(stats.get("breaks")).toMatchObject({ inFlight: 0, recentFailures: 1 });
    expect(stats.get("fine")).toMatchObject({ inFlight: 0, rpm: 0 }); // never tried: no retry once a chunk went out
  });

  it("times out a stream that goes quiet between chunks for stream_idle_timeout_ms", async () => {
    const t = routerFor({
      model_list: [mockDeployment("g", "only", { chunk_count: 3, chunk_delay_ms: 5_000 })],
      router_settings: { stream_idle_timeout_ms: 1_000, num_retries: 2 },
    });
    const started = t.clock.now();
    const { value } = await runOnClock(t.clock, collect(t.router.stream(chat("g"), ctx())));
    expect(value.chunks).toHaveLength(1);
    expect(value.error).toMatchObject({ kind: ErrorKind.TIMEOUT });
    expect(t.clock.now() - started).toBe(1_000);
  });

  it("records time to first chunk as the deployment's streaming latency", async () => {
    const t = routerFor({ model_list: [mockDeployment("g", "only", { latency_ms: 250, chunk_delay_ms: 40, chunk_count: 3 })] });
    await runOnClock(t.clock, collect(t.router.stream(chat("g"), ctx())));
    const stats = (await t.router.store.stats(["only"])).get("only")!;
    expect(stats.ttftMs).toBe(250);
    expect(stats.inFlight).toBe(0);
    expect(stats.rpm).toBe(1);
    expect(stats.tpm).toBeGreaterThan(0);
  });

  it("frees the in-flight slot when the client stops reading mid-stream", async () => {
    const t = routerFor({ model_list: [mockDeployment("g", "only", { chunk_count: 5 })] });
    const stream = t.router.stream(chat("g"), ctx());
    await stream.next();
    expect((await t.router.store.stats(["only"])).get("only")!.inFlight).toBe(1);
    await stream.return(undefined);
    expect((await t.router.store.stats(["only"])).get("only")!.inFlight).toBe(0);
  });
});

import { describe, expect, it } from "vitest";
import { AttemptOutcome, type ModelResponseChunk } from "../../gen/ts/switchyard/v1/inference_pb.js";
import { LatencyWindow, MIN_PERCENTILE_SAMPLES } from "../../src/router/hedging.js";
import { chat, ctx, mockDeployment, routerFor, runOnClock } from "./support.js";

const PRICE = { input_cost_per_token: 0.001, output_cost_per_token: 0.002 };

function hedgedGroup(hedge: Record<string, unknown>, slow: Record<string, unknown> = { latency_ms: 2_000 }) {
  return {
    model_list: [mockDeployment("chat", "slow", slow, PRICE), mockDeployment("chat", "fast", { latency_ms: 10 }, PRICE)],
    router_settings: { model_group_settings: [{ model: "chat", hedge }] },
  };
}

describe("hedged requests", () => {
  it("answers every call within 300 ms when one deployment takes 2 s and the hedge goes after 100 ms", async () => {
    const { router, clock } = routerFor(hedgedGroup({ after_ms: 100 }), { seed: 11 });
    let hedgedCalls = 0;
    for (let i = 0; i < 40; i++) {
      const { value, elapsedMs } = await runOnClock(clock, router.complete(chat("chat", `question ${i}`), ctx()));
      expect(elapsedMs, `call ${i}`).toBeLessThan(300);
      expect(value.deploymentId).toBe("fast");
      if (value.attempts.length === 2) {
        hedgedCalls++;
        const lost = value.attempts.find((a) => a.outcome === AttemptOutcome.HEDGE_LOST)!;
        expect(lost.deploymentId).toBe("slow");
        expect(lost.costUsd).toBeGreaterThan(0);
        // The response's cost counts both: the winner's answer and the prompt the loser was sent.
        const usage = value.usage!;
        const winnerCost = usage.promptTokens * 0.001 + usage.completionTokens * 0.002;
        expect(value.costUsd).toBeCloseTo(winnerCost + lost.costUsd, 9);
      } else {
        expect(value.attempts.map((a) => a.outcome)).toEqual([AttemptOutcome.SUCCESS]);
      }
    }
    expect(hedgedCalls).toBeGreaterThan(5);
    // The losers were cancelled upstream: nothing is still running or waiting on the slow deployment.
    const stats = await router.store.stats(["slow", "fast"]);
    expect(stats.get("slow")!.inFlight).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it("hedges a stream whose first chunk is late, and closes the losing stream", async () => {
    const { router, clock } = routerFor(hedgedGroup({ after_ms: 100 }), { seed: 11 });
    for (let i = 0; i < 10; i++) {
      const chunks: ModelResponseChunk[] = [];
      const { elapsedMs } = await runOnClock(
        clock,
        (async () => {
          for await (const chunk of router.stream(chat("chat", `q${i}`), ctx())) chunks.push(chunk);
        })(),
      );
      expect(elapsedMs).toBeLessThan(300);
      expect(chunks.at(-1)!.deploymentId).toBe("fast");
    }
    expect((await router.store.stats(["slow"])).get("slow")!.inFlight).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it("sends no hedge when the first attempt answers in time", async () => {
    const { router, clock } = routerFor(hedgedGroup({ after_ms: 100 }, { latency_ms: 50 }), { seed: 5 });
    for (let i = 0; i < 10; i++) {
      const { value } = await runOnClock(clock, router.complete(chat("chat"), ctx()));
      expect(value.attempts).toHaveLength(1);
    }
  });

  it("leaves a fast failure to the retry policy instead of hedging it", async () => {
    const { router, clock } = routerFor(hedgedGroup({ after_ms: 100 }, { fail_first_calls: 100, failure_kind: "upstream-unavailable" }), { seed: 11 });
    for (let i = 0; i < 10; i++) {
      const { value, elapsedMs } = await runOnClock(clock, router.complete(chat("chat"), ctx()));
      expect(value.deploymentId).toBe("fast");
      expect(value.attempts.some((a) => a.outcome === AttemptOutcome.HEDGE_LOST)).toBe(false);
      expect(elapsedMs).toBeLessThan(1_000);
    }
  });

  it("hedges after the configured percentile of recent latencies, once it has enough samples", async () => {
    const { router, clock } = routerFor(hedgedGroup({ after_latency_percentile: 25 }), { seed: 11 });
    const before: number[] = [];
    for (let i = 0; i < MIN_PERCENTILE_SAMPLES; i++) {
      const { value, elapsedMs } = await runOnClock(clock, router.complete(chat("chat"), ctx()));
      expect(value.attempts).toHaveLength(1); // no percentile yet: no hedge
      before.push(elapsedMs);
    }
    expect(Math.max(...before)).toBeGreaterThanOrEqual(2_000);
    // p25 of the recent answers is the fast deployment's 10 ms: a call stuck on the slow one is hedged after that.
    for (let i = 0; i < 20; i++) {
      const { elapsedMs } = await runOnClock(clock, router.complete(chat("chat"), ctx()));
      expect(elapsedMs).toBeLessThan(100);
    }
  });

  it("cuts the tail when some upstream calls are slow (mock slow_rate)", async () => {
    const mock = { latency_ms: 20, slow_rate: 0.2, slow_latency_ms: 2_000 };
    const group = (hedge: boolean) => ({
      model_list: ["a", "b"].map((id) => mockDeployment("chat", id, mock)),
      router_settings: { model_group_settings: hedge ? [{ model: "chat", hedge: { after_ms: 100 } }] : [] },
    });
    const slowAnswers = async (hedge: boolean) => {
      const { router, clock } = routerFor(group(hedge), { seed: 2 });
      const times: number[] = [];
      for (let i = 0; i < 30; i++) times.push((await runOnClock(clock, router.complete(chat("chat", `q${i}`), ctx()))).elapsedMs);
      return times.filter((ms) => ms > 120).length;
    };
    // Without hedging every slow upstream call is a slow answer; with it, only calls where both attempts were slow.
    const unhedged = await slowAnswers(false);
    const hedged = await slowAnswers(true);
    expect(unhedged).toBeGreaterThanOrEqual(4);
    expect(hedged).toBeLessThan(unhedged / 2);
  });

  it("computes a nearest-rank percentile over the recent window", () => {
    const window = new LatencyWindow();
    expect(window.percentile(95)).toBeUndefined();
    for (let ms = 1; ms <= 100; ms++) window.add(ms);
    expect(window.percentile(95)).toBe(95);
    expect(window.percentile(50)).toBe(50);
  });
});

describe("the cost of attempts abandoned in flight", () => {
  it("counts a timed-out attempt's prompt in the answer a retry then gave, and shows it on that attempt", async () => {
    // The slow deployment is picked first (weight) and times out; the retry goes to the fast one.
    const { router, clock } = routerFor({
      model_list: [
        mockDeployment("chat", "slow", { latency_ms: 5_000 }, { ...PRICE, timeout_ms: 1_000, weight: 1_000 }),
        mockDeployment("chat", "fast", { latency_ms: 10 }, { ...PRICE, weight: 0.001 }),
      ],
      router_settings: { num_retries: 1, retry_backoff_ms: 0 },
    });
    const { value } = await runOnClock(clock, router.complete(chat("chat", "question"), ctx()));
    expect(value.attempts.map((a) => [a.deploymentId, a.outcome])).toEqual([
      ["slow", AttemptOutcome.FAILURE],
      ["fast", AttemptOutcome.SUCCESS],
    ]);
    const usage = value.usage!;
    const abandoned = value.attempts[0]!.costUsd;
    expect(abandoned).toBeCloseTo(usage.promptTokens * 0.001, 9); // the prompt the slow one was sent (the mock counts prompts as the router estimates them)
    expect(value.costUsd).toBeCloseTo(usage.promptTokens * 0.001 + usage.completionTokens * 0.002 + abandoned, 9);
  });
});

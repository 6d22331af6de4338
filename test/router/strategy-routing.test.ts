import { describe, expect, it } from "vitest";
import { chat, collect, ctx, mockDeployment, routerFor, runOnClock } from "./support.js";

/** Strategies fed by the stats the router itself records from real (mock) calls. */
describe("strategies on live stats", () => {
  it("latency-based: after measuring each deployment once, sends calls to the fastest", async () => {
    const t = routerFor({
      model_list: [mockDeployment("g", "slow", { latency_ms: 400 }), mockDeployment("g", "fast", { latency_ms: 40 })],
      router_settings: { routing_strategy: "latency-based" },
    });
    const picks: string[] = [];
    for (let i = 0; i < 12; i++) picks.push((await runOnClock(t.clock, t.router.complete(chat("g"), ctx()))).value.deploymentId);
    expect(new Set(picks.slice(0, 2))).toEqual(new Set(["slow", "fast"])); // each measured first
    expect(picks.slice(2)).toEqual(Array(10).fill("fast"));
  });

  it("latency-based: judges streams by time to first token, not total time", async () => {
    const t = routerFor({
      model_list: [
        // Quick to start, slow to finish vs slow to start, quick to finish.
        mockDeployment("g", "quick-start", { latency_ms: 50, chunk_delay_ms: 500, chunk_count: 4 }),
        mockDeployment("g", "slow-start", { latency_ms: 300, chunk_delay_ms: 1, chunk_count: 4 }),
      ],
      router_settings: { routing_strategy: "latency-based" },
    });
    const picks: string[] = [];
    for (let i = 0; i < 6; i++) picks.push((await runOnClock(t.clock, collect(t.router.stream(chat("g"), ctx())))).value.chunks[0]!.deploymentId);
    expect(picks.slice(2)).toEqual(Array(4).fill("quick-start"));
  });

  it("least-busy: spreads concurrent calls over idle deployments", async () => {
    const t = routerFor({
      model_list: ["a", "b", "c"].map((id) => mockDeployment("g", id, { latency_ms: 100 })),
      router_settings: { routing_strategy: "least-busy" },
    });
    const calls = Array.from({ length: 3 }, () => t.router.complete(chat("g"), ctx()));
    const { value } = await runOnClock(t.clock, Promise.all(calls));
    expect(value.map((r) => r.deploymentId).sort()).toEqual(["a", "b", "c"]);
  });

  it("cost-based: sends every call to the cheapest healthy deployment, and to the next cheapest once it cools down", async () => {
    const t = routerFor({
      model_list: [
        mockDeployment("g", "cheap", { fail_first_calls: 3 }, { input_cost_per_token: 1e-7, output_cost_per_token: 2e-7 }),
        mockDeployment("g", "pricey", {}, { input_cost_per_token: 1e-5, output_cost_per_token: 3e-5 }),
      ],
      router_settings: { routing_strategy: "cost-based", allowed_fails: 1, num_retries: 1, retry_backoff_ms: 0, cooldown_time_ms: 1_000 },
    });
    const first = (await runOnClock(t.clock, t.router.complete(chat("g"), ctx()))).value;
    expect(first.attempts.map((a) => a.deploymentId)).toEqual(["cheap", "pricey"]);
    expect((await t.router.complete(chat("g"), ctx())).deploymentId).toBe("pricey"); // cheap is cooling down
    await t.clock.advance(1_000);
    // Half-open trial on cheap fails (its 2nd scripted failure), retried on pricey.
    expect((await runOnClock(t.clock, t.router.complete(chat("g"), ctx()))).value.attempts.map((a) => a.deploymentId)).toEqual(["cheap", "pricey"]);
  });

  it("latency-based: counts a timed-out attempt as that slow, steering calls away from it", async () => {
    const t = routerFor({
      model_list: [
        mockDeployment("g", "hangs", { latency_ms: 60_000 }, { timeout_ms: 2_000 }),
        mockDeployment("g", "steady", { latency_ms: 300 }),
      ],
      router_settings: { routing_strategy: "latency-based", num_retries: 1, retry_backoff_ms: 0, allowed_fails: 100 },
    });
    const picks: string[] = [];
    for (let i = 0; i < 6; i++) picks.push(...(await runOnClock(t.clock, t.router.complete(chat("g"), ctx()))).value.attempts.map((a) => a.deploymentId));
    const stats = await t.router.store.stats(["hangs"]);
    expect(stats.get("hangs")!.latencyPerTokenMs).toBe(2_000);
    expect(picks.filter((id) => id === "hangs")).toHaveLength(1); // tried once (unmeasured), then avoided
  });
});


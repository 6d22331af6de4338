import { describe, expect, it } from "vitest";
import { CostBased, LatencyBased, LeastBusy, SimpleShuffle, UsageBased } from "../../src/router/strategies/index.js";
import { shuffleWeights } from "../../src/router/strategies/simple-shuffle.js";
import type { PickRequest, RoutingStrategy } from "../../src/router/strategy.js";
import { seededRandom } from "../../src/util/random.js";
import { candidates, mockDeployment, resolved } from "./support.js";

const unary: PickRequest = { streaming: false, promptTokens: 100, completionTokens: 50 };
const streaming: PickRequest = { ...unary, streaming: true };

function group(...entries: Array<[id: string, extra?: Record<string, unknown>]>) {
  return resolved({ model_list: entries.map(([id, extra]) => mockDeployment("g", id, {}, extra)) });
}

/** How often each deployment is picked over `n` picks. */
function distribution(strategy: RoutingStrategy, list: ReturnType<typeof candidates>, n: number, request = unary): Record<string, number> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const id = strategy.pick(list, request).id;
    counts[id] = (counts[id] ?? 0) + 1;
  }
  return counts;
}

describe("simple-shuffle", () => {
  it("splits picks in proportion to weight (within 2 percentage points over 20,000 picks)", () => {
    const config = group(["a", { weight: 1 }], ["b", { weight: 3 }], ["c", { weight: 6 }]);
    const counts = distribution(new SimpleShuffle(seededRandom(1)), candidates(config), 20_000);
    expect(Math.abs(counts.a! / 20_000 - 0.1)).toBeLessThan(0.02);
    expect(Math.abs(counts.b! / 20_000 - 0.3)).toBeLessThan(0.02);
    expect(Math.abs(counts.c! / 20_000 - 0.6)).toBeLessThan(0.02);
  });

  it("weighs by rpm when no deployment sets a weight, then by tpm, else uniformly", () => {
    expect(shuffleWeights(group(["a", { rpm: 100 }], ["b", { rpm: 300 }]).deployments)).toEqual([100, 300]);
    expect(shuffleWeights(group(["a", { tpm: 1000 }], ["b", {}]).deployments)).toEqual([1000, 1000]);
    expect(shuffleWeights(group(["a", { weight: 2, rpm: 9 }], ["b", { rpm: 1 }]).deployments)).toEqual([2, 2]);
    expect(shuffleWeights(group(["a"], ["b"]).deployments)).toEqual([1, 1]);

    const counts = distribution(new SimpleShuffle(seededRandom(2)), candidates(group(["a", { rpm: 100 }], ["b", { rpm: 300 }])), 10_000);
    expect(Math.abs(counts.b! / 10_000 - 0.75)).toBeLessThan(0.02);
  });

  it("is reproducible with the same seed", () => {
    const list = candidates(group(["a"], ["b"], ["c"]));
    const picks = (seed: number) => {
      const strategy: RoutingStrategy = new SimpleShuffle(seededRandom(seed));
      return Array.from({ length: 50 }, () => strategy.pick(list, unary).id);
    };
    expect(picks(42)).toEqual(picks(42));
    expect(new Set(picks(42)).size).toBe(3);
  });
});

describe("least-busy", () => {
  it("picks the deployment with the fewest requests in flight", () => {
    const config = group(["a"], ["b"], ["c"]);
    const list = candidates(config, { a: { inFlight: 4 }, b: { inFlight: 1 }, c: { inFlight: 2 } });
    const strategy: RoutingStrategy = new LeastBusy(seededRandom(3));
    expect(strategy.pick(list, unary).id).toBe("b");
  });

  it("spreads ties at random", () => {
    const config = group(["a"], ["b"], ["c"]);
    const list = candidates(config, { a: { inFlight: 1 }, b: { inFlight: 1 }, c: { inFlight: 5 } });
    const counts = distribution(new LeastBusy(seededRandom(4)), list, 2_000);
    expect(counts.c).toBeUndefined();
    expect(Math.abs(counts.a! / 2_000 - 0.5)).toBeLessThan(0.05);
  });
});

describe("usage-based", () => {
  it("picks the lowest share of this minute's rpm/tpm quota, not the lowest raw count", () => {
    const config = group(["small", { rpm: 10, tpm: 10_000 }], ["big", { rpm: 1_000, tpm: 1_000_000 }]);
    // big has served more requests, but has used a far smaller share of its quota.
    const list = candidates(config, { small: { rpm: 5, tpm: 1_000 }, big: { rpm: 50, tpm: 20_000 } });
    expect(new UsageBased(seededRandom(5)).pick(list, unary).id).toBe("big");
  });

  it("compares tpm share including this request's tokens", () => {
    const config = group(["a", { tpm: 1_000 }], ["b", { tpm: 10_000 }]);
    const list = candidates(config, { a: { tpm: 0 }, b: { tpm: 1_500 } });
    // a: (0+150)/1000 = 15%, b: (1500+150)/10000 = 16.5%
    expect(new UsageBased(seededRandom(6)).pick(list, unary).id).toBe("a");
    // a big request: a: (0+950)/1000 = 95%, b: (1500+950)/10000 = 24.5%
    expect(new UsageBased(seededRandom(6)).pick(list, { ...unary, promptTokens: 900 }).id).toBe("b");
  });

  it("among deployments without limits, picks the fewest tokens this minute", () => {
    const config = group(["a"], ["b"], ["c"]);
    const list = candidates(config, { a: { tpm: 900 }, b: { tpm: 100 }, c: { tpm: 400 } });
    expect(new UsageBased(seededRandom(7)).pick(list, unary).id).toBe("b");
  });
});

describe("latency-based", () => {
  it("picks the lowest latency per token for unary calls and the lowest time to first token for streams", () => {
    const config = group(["a"], ["b"]);
    const list = candidates(config, { a: { latencyPerTokenMs: 5, ttftMs: 900 }, b: { latencyPerTokenMs: 20, ttftMs: 100 } });
    const strategy = new LatencyBased(seededRandom(8), 0);
    expect(strategy.pick(list, unary).id).toBe("a");
    expect(strategy.pick(list, streaming).id).toBe("b");
  });

  it("spreads picks among deployments within the buffer of the fastest", () => {
    const config = group(["a"], ["b"], ["c"]);
    const list = candidates(config, { a: { latencyPerTokenMs: 10 }, b: { latencyPerTokenMs: 10.5 }, c: { latencyPerTokenMs: 13 } });
    const counts = distribution(new LatencyBased(seededRandom(9), 0.1), list, 2_000);
    expect(counts.c).toBeUndefined();
    expect(Math.abs(counts.a! / 2_000 - 0.5)).toBeLessThan(0.05);
    expect(distribution(new LatencyBased(seededRandom(9), 0), list, 100)).toEqual({ a: 100 });
  });

  it("tries an unmeasured deployment before measured ones", () => {
    const config = group(["a"], ["b"]);
    const list = candidates(config, { a: { latencyPerTokenMs: 1 } });
    expect(new LatencyBased(seededRandom(10), 0.1).pick(list, unary).id).toBe("b");
  });
});

describe("cost-based", () => {
  it("picks the cheapest expected cost of the request", () => {
    const config = group(
      ["pricey", { input_cost_per_token: 0.00001, output_cost_per_token: 0.00003 }],
      ["cheap", { input_cost_per_token: 0.000001, output_cost_per_token: 0.000002 }],
      ["middle", { input_cost_per_token: 0.000002, output_cost_per_token: 0.000004 }],
    );
    expect(new CostBased(seededRandom(11)).pick(candidates(config), unary).id).toBe("cheap");
  });

  it("weighs prompt and completion prices by the request's expected tokens", () => {
    const config = group(
      ["cheap-input", { input_cost_per_token: 0.000001, output_cost_per_token: 0.00002 }],
      ["cheap-output", { input_cost_per_token: 0.00001, output_cost_per_token: 0.000002 }],
    );
    const strategy = new CostBased(seededRandom(12));
    expect(strategy.pick(candidates(config), { streaming: false, promptTokens: 10_000, completionTokens: 10 }).id).toBe("cheap-input");
    expect(strategy.pick(candidates(config), { streaming: false, promptTokens: 10, completionTokens: 10_000 }).id).toBe("cheap-output");
  });
});

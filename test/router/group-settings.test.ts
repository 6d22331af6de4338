import { describe, expect, it } from "vitest";
import { RoutingStrategy } from "../../gen/ts/switchyard/v1/config_pb.js";
import { configFromYaml } from "../support/gateway.js";
import { chat, ctx, mockDeployment, resolved, routerFor, runOnClock } from "./support.js";

describe("model_group_settings", () => {
  it("overrides strategy, retries and timeouts for its group only, resolved once at load", () => {
    const config = resolved({
      model_list: [mockDeployment("fast", "f1"), mockDeployment("fast", "f2", {}, { timeout_ms: 900 }), mockDeployment("slow", "s1")],
      router_settings: {
        routing_strategy: "simple-shuffle",
        num_retries: 2,
        timeout_ms: 30_000,
        model_group_settings: [
          { model: "fast", routing_strategy: "least-busy", num_retries: 0, timeout_ms: 2_000, stream_timeout_ms: 500, hedge: { after_ms: 100 }, affinity: { enabled: true } },
        ],
      },
    });
    const fast = config.groupRouting.get("fast")!;
    expect(fast.router).toMatchObject({ strategy: RoutingStrategy.LEAST_BUSY, numRetries: 0 });
    expect(fast.hedge).toEqual({ afterMs: 100, afterPercentile: undefined, maxHedges: 1 });
    expect(fast.affinity).toEqual({ prefixMessages: 1 });
    expect(config.groupRouting.get("slow")!.router).toBe(config.router);
    // A deployment's own timeout still wins over its group's.
    expect(config.groups.get("fast")!.map((d) => [d.timeoutMs, d.streamTimeoutMs])).toEqual([
      [2_000, 500],
      [900, 900],
    ]);
    expect(config.groups.get("slow")![0]).toMatchObject({ timeoutMs: 30_000, streamTimeoutMs: 30_000 });
  });

  it("routes each group with its own retry count", async () => {
    const failing = { fail_first_calls: 10, failure_kind: "upstream-unavailable" };
    const { router, clock } = routerFor({
      model_list: [mockDeployment("a", "a1", failing), mockDeployment("a", "a2", failing), mockDeployment("b", "b1", failing), mockDeployment("b", "b2", failing)],
      router_settings: { num_retries: 1, allowed_fails: 100, model_group_settings: [{ model: "b", num_retries: 0 }] },
    });
    const attemptsOf = async (model: string, ids: string[]) => {
      await expect(runOnClock(clock, router.complete(chat(model), ctx()))).rejects.toThrow(/injected|unavailable/i);
      const stats = await router.store.stats(ids);
      return ids.reduce((sum, id) => sum + stats.get(id)!.rpm, 0);
    };
    expect(await attemptsOf("a", ["a1", "a2"])).toBe(2);
    expect(await attemptsOf("b", ["b1", "b2"])).toBe(1);
  });

  it("rejects settings that cannot work, naming the path", () => {
    const bad = (model_group_settings: unknown[]) => () =>
      configFromYaml(JSON.stringify({ model_list: [mockDeployment("g", "a"), mockDeployment("g", "b"), mockDeployment("solo", "c")], router_settings: { model_group_settings } }));
    expect(bad([{ model: "nope" }])).toThrow(/router_settings\.model_group_settings\[0\]\.model.*"nope" is not a model_name in model_list/);
    expect(bad([{ model: "g" }, { model: "g" }])).toThrow(/model_group_settings\[1\]\.model.*already has settings at model_group_settings\[0\]/);
    expect(bad([{ routing_strategy: "least-busy" }])).toThrow(/model_group_settings\[0\]\.model.*is required/);
    expect(bad([{ model: "g", hedge: { after_ms: 10, after_latency_percentile: 95 } }])).toThrow(/model_group_settings\[0\]\.hedge.*not both/);
    expect(bad([{ model: "g", hedge: { max_hedges: 2 } }])).toThrow(/model_group_settings\[0\]\.hedge.*needs after_ms or after_latency_percentile/);
    expect(bad([{ model: "g", hedge: { after_latency_percentile: 100 } }])).toThrow(/hedge\.after_latency_percentile.*between 0 and 100/);
    expect(bad([{ model: "g", hedge: { after_ms: 5, max_hedges: 0 } }])).toThrow(/hedge\.max_hedges.*at least 1/);
    expect(bad([{ model: "solo", hedge: { after_ms: 5 } }])).toThrow(/model_group_settings\[0\]\.hedge.*one deployment/);
    expect(bad([{ model: "g", routing_strategy: "fastest" }])).toThrow(/model_group_settings\[0\]\.routing_strategy/);
  });
});

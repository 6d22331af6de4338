import type { Client } from "@connectrpc/connect";
import type { AdminService } from "../../gen/ts/switchyard/v1/admin_pb.js";
import type { InferenceService } from "../../gen/ts/switchyard/v1/inference_pb.js";
import type { Clock } from "../../src/util/clock.js";
import { startInMemoryGateway, type InMemoryGateway } from "../support/in-memory-gateway.js";
import { countingProviders, type UpstreamCalls } from "./counting-provider.js";

export interface CachingGateway {
  gateway: InMemoryGateway;
  inference: Client<typeof InferenceService>;
  admin: Client<typeof AdminService>;
  calls: UpstreamCalls;
  /** Stats of one layer by name, as numbers. */
  layerStats(name: string): Promise<Record<"hits" | "misses" | "sets" | "errors" | "evictions" | "bytes" | "entries", number>>;
  close(): Promise<void>;
}

/** A config with model `m` served by the counting mock, and cache_settings as given. */
export function cachingConfig(cacheSettings: Record<string, unknown>, mock: Record<string, unknown> = {}): string {
  return JSON.stringify({
    model_list: [
      {
        model_name: "m",
        provider: "counting",
        params: { model: "mock-1", mock: { chunk_count: 5, ...mock } },
        input_cost_per_token: 0.000001,
        output_cost_per_token: 0.000002,
      },
    ],
    cache_settings: { enabled: true, ...cacheSettings },
  });
}

/** A gateway (in memory: routes, interceptors and cache as served, no socket) with clients for both services. */
export async function startCachingGateway(
  cacheSettings: Record<string, unknown>,
  options: { clock?: Clock; mock?: Record<string, unknown>; calls?: ReturnType<typeof countingProviders> } = {},
): Promise<CachingGateway> {
  const counted = options.calls ?? countingProviders();
  const gateway = await startInMemoryGateway(cachingConfig(cacheSettings, options.mock), { providers: counted.providers, clock: options.clock });
  const { inference, admin } = gateway;
  return {
    gateway,
    inference,
    admin,
    calls: counted.calls,
    async layerStats(name) {
      const { layers } = await admin.getCacheStats({});
      const layer = layers.find((l) => l.layer === name);
      if (!layer) throw new Error(`no cache layer "${name}" in stats (have ${layers.map((l) => l.layer).join(", ")})`);
      return {
        hits: Number(layer.hits),
        misses: Number(layer.misses),
        sets: Number(layer.sets),
        errors: Number(layer.errors),
        evictions: Number(layer.evictions),
        bytes: Number(layer.bytes),
        entries: Number(layer.entries),
      };
    },
    close: () => gateway.close(),
  };
}

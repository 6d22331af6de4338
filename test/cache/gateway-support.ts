import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { AdminService } from "../../gen/ts/switchyard/v1/admin_pb.js";
import { InferenceService } from "../../gen/ts/switchyard/v1/inference_pb.js";
import type { Gateway } from "../../src/server/gateway.js";
import type { Clock } from "../../src/util/clock.js";
import { startTestGateway } from "../support/gateway.js";
import { countingProviders, type UpstreamCalls } from "./counting-provider.js";

export interface CachingGateway {
  gateway: Gateway;
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

/** A real gateway on a free port with real gRPC clients for both services. */
export async function startCachingGateway(
  cacheSettings: Record<string, unknown>,
  options: { clock?: Clock; mock?: Record<string, unknown>; calls?: ReturnType<typeof countingProviders> } = {},
): Promise<CachingGateway> {
  const counted = options.calls ?? countingProviders();
  const gateway = await startTestGateway(cachingConfig(cacheSettings, options.mock), { providers: counted.providers, clock: options.clock });
  const transport = createGrpcTransport({ baseUrl: gateway.url });
  const admin = createClient(AdminService, transport);
  return {
    gateway,
    inference: createClient(InferenceService, transport),
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
    close: () => gateway.close(1000),
  };
}

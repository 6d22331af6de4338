/**
 * Switchyard configs for each scenario. Every deployment points at the mock
 * upstream through `provider: openai` (`params.api_base`), like the peers;
 * only a checkout whose registry lacks the OpenAI provider falls back to the
 * built-in `mock` provider with the same latency and cadence, and the report
 * says so, because that path skips the upstream HTTP hop.
 */
import { GROUP, UPSTREAM, UPSTREAM_MODEL } from "./workload.js";

export type UpstreamMode = "openai" | "mock";

export type RoutingStrategyName = "simple-shuffle" | "least-busy" | "usage-based" | "latency-based" | "cost-based";
export const ROUTING_STRATEGIES: RoutingStrategyName[] = ["simple-shuffle", "least-busy", "usage-based", "latency-based", "cost-based"];

export type SwitchyardVariant =
  | { kind: "plain" }
  | { kind: "cache"; layer: "memory" | "redis"; redisUrl?: string }
  | { kind: "router"; strategy: RoutingStrategyName; deployments: number }
  /** The plain config served by N worker threads (server_settings.workers); every other variant uses 1, today's single loop. */
  | { kind: "workers"; workers: number };

export function variantId(v: SwitchyardVariant): string {
  if (v.kind === "plain") return "switchyard";
  if (v.kind === "cache") return `switchyard-cache-${v.layer}`;
  if (v.kind === "workers") return `switchyard-workers-${v.workers}`;
  return `switchyard-router-${v.strategy}`;
}

function deployment(mode: UpstreamMode, upstreamUrl: string, index: number): Record<string, unknown> {
  const common = { model_name: GROUP, id: `${GROUP}/${index}` };
  if (mode === "openai") {
    return { ...common, provider: "openai", params: { model: UPSTREAM_MODEL, api_base: `${upstreamUrl}/v1`, api_key: "sk-bench" } };
  }
  return {
    ...common,
    provider: "mock",
    params: {
      model: UPSTREAM_MODEL,
      mock: { response: UPSTREAM.text, latency_ms: UPSTREAM.latencyMs, chunk_delay_ms: UPSTREAM.chunkDelayMs, chunk_count: UPSTREAM.chunkCount },
    },
  };
}

/** A RouterConfig as JSON (the gateway's loader reads JSON as well as YAML). */
export function switchyardConfig(variant: SwitchyardVariant, mode: UpstreamMode, upstreamUrl: string): Record<string, unknown> {
  const count = variant.kind === "router" ? variant.deployments : 1;
  const config: Record<string, unknown> = {
    model_list: Array.from({ length: count }, (_, i) => deployment(mode, upstreamUrl, i)),
    router_settings: { routing_strategy: variant.kind === "router" ? variant.strategy : "simple-shuffle" },
    server_settings: { host: "127.0.0.1", workers: variant.kind === "workers" ? variant.workers : 1 },
  };
  if (variant.kind === "cache") {
    config.cache_settings = { enabled: true, layers: [variant.layer === "memory" ? { memory: {} } : { redis: {} }] };
    if (variant.layer === "redis") config.redis = { url: variant.redisUrl };
  }
  return config;
}

import type { CacheLayerSettings, RedisSettings, RouterConfig } from "../../gen/ts/switchyard/v1/config_pb.js";
import type { SemanticProblem } from "../config/validate.js";
import { isValidNamespace, type CachedCallType } from "./key.js";

const CALL_TYPES: readonly CachedCallType[] = ["completion", "embedding", "moderation", "image_generation"];
const HOST_PORT = /^[^\s:]+:\d{1,5}$/;
const DEFAULT_CALL_TYPES: readonly CachedCallType[] = ["completion", "embedding"];

export const CACHE_DEFAULTS = {
  ttlS: 3600,
  maxPendingWrites: 1000,
  memory: { maxEntries: 10_000, maxBytes: 256 * 1024 * 1024, timeoutMs: 50 },
  redis: { timeoutMs: 200, keyPrefix: "switchyard:" },
  objectStore: { timeoutMs: 2000, region: "us-east-1" },
} as const;

/** cache_settings turned, once at startup, into what the request path reads. */
export interface ResolvedCacheSettings {
  defaultTtlS: number;
  namespace: string;
  callTypes: ReadonlySet<CachedCallType>;
  maxPendingWrites: number;
  layers: readonly CacheLayerSettings[];
}

export function resolveCacheSettings(config: RouterConfig): ResolvedCacheSettings | undefined {
  const settings = config.cacheSettings;
  if (!settings?.enabled) return undefined;
  return {
    defaultTtlS: settings.defaultTtlS ?? CACHE_DEFAULTS.ttlS,
    namespace: settings.namespace,
    callTypes: new Set(settings.callTypes.length > 0 ? (settings.callTypes as CachedCallType[]) : DEFAULT_CALL_TYPES),
    maxPendingWrites: settings.maxPendingWrites ?? CACHE_DEFAULTS.maxPendingWrites,
    layers: settings.layers,
  };
}

/** The Redis connection a redis layer uses: its own, else the top-level `redis`. */
export function redisConnectionOf(layer: CacheLayerSettings, config: RouterConfig): RedisSettings | undefined {
  return layer.layer.case === "redis" ? (layer.layer.value.connection ?? config.redis) : undefined;
}

/** Redis URL from url, or host and port. */
export function redisUrlOf(connection: RedisSettings): string {
  return connection.url || `redis://${connection.host || "127.0.0.1"}:${connection.port ?? 6379}`;
}

/**
 * What is wrong with cache_settings, as field paths; empty when it is
 * usable or disabled. In the same shape as validateRouterConfig's problems
 * so the config loader can report them with file and line.
 */
export function cacheSettingsProblems(config: RouterConfig): SemanticProblem[] {
  const settings = config.cacheSettings;
  if (!settings?.enabled) return [];
  const problems: SemanticProblem[] = [];
  const at = ["cache_settings"];
  if (settings.layers.length === 0) problems.push({ segments: [...at, "layers"], message: "at least one layer is required when enabled" });
  if (settings.namespace && !isValidNamespace(settings.namespace)) {
    problems.push({ segments: [...at, "namespace"], message: `"${settings.namespace}" must be 1-64 letters, digits, ".", "_" or "-"` });
  }
  settings.callTypes.forEach((type, i) => {
    if (!(CALL_TYPES as readonly string[]).includes(type)) {
      problems.push({ segments: [...at, "call_types", i], message: `unknown call type "${type}"; one of ${CALL_TYPES.join(", ")}` });
    }
  });
  settings.layers.forEach((layer, i) => {
    const where = [...at, "layers", i];
    const required = (field: string, value: string | undefined) => {
      if (!value) problems.push({ segments: [...where, snakeCase(layer.layer.case ?? ""), field], message: "is required" });
    };
    switch (layer.layer.case) {
      case undefined:
        problems.push({ segments: where, message: "set one of memory, redis, s3, gcs, azure_blob" });
        break;
      case "memory":
        if (layer.layer.value.maxEntries === 0) problems.push({ segments: [...where, "memory", "max_entries"], message: "must be at least 1" });
        if (layer.layer.value.maxBytes === 0n) problems.push({ segments: [...where, "memory", "max_bytes"], message: "must be at least 1" });
        break;
      case "redis": {
        const redis = layer.layer.value;
        const addresses = (field: string, list: string[]) =>
          list.forEach((address, j) => {
            if (!HOST_PORT.test(address)) problems.push({ segments: [...where, "redis", field, j], message: `"${address}" is not host:port` });
          });
        addresses("cluster_nodes", redis.clusterNodes);
        addresses("sentinels", redis.sentinels);
        if (redis.clusterNodes.length > 0 && redis.sentinels.length > 0) {
          problems.push({ segments: [...where, "redis"], message: "set cluster_nodes or sentinels, not both" });
        } else if (redis.sentinels.length > 0 && !redis.sentinelMasterName) {
          problems.push({ segments: [...where, "redis", "sentinel_master_name"], message: "is required with sentinels" });
        } else if (redis.clusterNodes.length === 0 && redis.sentinels.length === 0) {
          const connection = redisConnectionOf(layer, config);
          if (!connection || (!connection.url && !connection.host)) {
            problems.push({ segments: [...where, "redis", "connection"], message: "set a url or host here or in the top-level redis" });
          }
        }
        break;
      }
      case "s3":
        required("bucket", layer.layer.value.bucket);
        break;
      case "gcs":
        required("bucket", layer.layer.value.bucket);
        break;
      case "azureBlob":
        required("container", layer.layer.value.container);
        required("connection_string", layer.layer.value.connectionString);
        break;
    }
  });
  return problems;
}

function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

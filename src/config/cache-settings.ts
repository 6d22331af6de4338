import type { CacheLayerSettings, RedisCacheSettings, RedisSettings, RouterConfig } from "../../gen/ts/switchyard/v1/config_pb.js";
import { isValidNamespace } from "../cache/key.js";
import { DEFAULTS } from "./defaults.js";
import type { SemanticProblem } from "./problems.js";
import { parseHostPort, redisCommandTimeoutOf, redisKeyPrefixOf, redisUrlOf } from "./redis-settings.js";
import type { CachedCallType, RedisTopology, ResolvedCacheLayer, ResolvedCacheSettings } from "./resolved.js";

const CALL_TYPES: readonly CachedCallType[] = ["completion", "embedding", "moderation", "image_generation"];
const HOST_PORT = /^[^\s:]+:\d{1,5}$/;

/** cache_settings with its defaults applied, or undefined when caching is off. The config was checked by cacheSettingsProblems. */
export function resolveCacheSettings(config: RouterConfig): ResolvedCacheSettings | undefined {
  const settings = config.cacheSettings;
  if (!settings?.enabled) return undefined;
  const defaults = DEFAULTS.cache;
  return {
    defaultTtlS: settings.defaultTtlS ?? defaults.ttlS,
    namespace: settings.namespace,
    callTypes: new Set(settings.callTypes.length > 0 ? (settings.callTypes as CachedCallType[]) : defaults.callTypes),
    maxPendingWrites: settings.maxPendingWrites ?? defaults.maxPendingWrites,
    layers: settings.layers.map((layer) => resolveLayer(layer, config)),
  };
}

function resolveLayer(settings: CacheLayerSettings, config: RouterConfig): ResolvedCacheLayer {
  const { layer } = settings;
  const objectStoreTimeoutMs = settings.timeoutMs ?? DEFAULTS.cache.objectStore.timeoutMs;
  switch (layer.case) {
    case "memory": {
      const memory = DEFAULTS.cache.memory;
      return {
        kind: "memory",
        timeoutMs: settings.timeoutMs ?? memory.timeoutMs,
        maxEntries: layer.value.maxEntries ?? memory.maxEntries,
        maxBytes: Number(layer.value.maxBytes ?? memory.maxBytes),
        maxTtlS: layer.value.maxTtlS,
      };
    }
    case "redis": {
      const connection = redisConnectionOf(settings, config);
      return {
        kind: "redis",
        timeoutMs: settings.timeoutMs ?? redisCommandTimeoutOf(connection),
        topology: redisTopologyOf(layer.value, connection),
        password: connection?.password,
        keyPrefix: `${redisKeyPrefixOf(connection)}cache:`,
      };
    }
    case "s3":
      return { kind: "s3", timeoutMs: objectStoreTimeoutMs, settings: layer.value, region: layer.value.region || DEFAULTS.cache.objectStore.region };
    case "gcs":
      return { kind: "gcs", timeoutMs: objectStoreTimeoutMs, settings: layer.value };
    case "azureBlob":
      return { kind: "azureBlob", timeoutMs: objectStoreTimeoutMs, settings: layer.value };
    case undefined:
      throw new Error("cache layer without a backend"); // cacheSettingsProblems reports this first
  }
}

/** The Redis connection a redis layer uses: its own, else the top-level `redis`. */
function redisConnectionOf(layer: CacheLayerSettings, config: RouterConfig): RedisSettings | undefined {
  return layer.layer.case === "redis" ? (layer.layer.value.connection ?? config.redis) : undefined;
}

function redisTopologyOf(layer: RedisCacheSettings, connection: RedisSettings | undefined): RedisTopology {
  if (layer.clusterNodes.length > 0) return { kind: "cluster", nodes: layer.clusterNodes.map(parseHostPort) };
  if (layer.sentinels.length > 0) {
    return { kind: "sentinel", sentinels: layer.sentinels.map(parseHostPort), masterName: layer.sentinelMasterName };
  }
  // cacheSettingsProblems requires a url or host for a standalone layer.
  return { kind: "standalone", url: connection ? redisUrlOf(connection) : "" };
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

import { create } from "@bufbuild/protobuf";
import {
  RedisSettingsSchema,
  type RedisCacheSettings,
  type RedisSettings,
  type RouterConfig,
} from "../../gen/ts/switchyard/v1/config_pb.js";
import type { Clock } from "../util/clock.js";
import type { CacheLayer } from "./layer.js";
import { MemoryLayer } from "./layers/memory.js";
import { parseHostPort, RedisLayer, type RedisTopology } from "./layers/redis.js";
import { CACHE_DEFAULTS, redisConnectionOf, redisUrlOf, type ResolvedCacheSettings } from "./settings.js";
import type { LayerSlot } from "./tiered-cache.js";

/**
 * One backend per configured layer, in lookup order. Settings were checked
 * by cacheSettingsProblems. The S3, GCS and Azure SDKs are imported only
 * when a layer uses them: together they weigh about 50 MB of resident
 * memory that a gateway without object-store caching should not pay.
 */
export async function createLayers(settings: ResolvedCacheSettings, config: RouterConfig, clock: Clock): Promise<LayerSlot[]> {
  const slots: LayerSlot[] = [];
  for (const layerSettings of settings.layers) {
    const { layer } = layerSettings;
    let backend: CacheLayer;
    let defaultTimeoutMs: number = CACHE_DEFAULTS.objectStore.timeoutMs;
    switch (layer.case) {
      case "memory":
        backend = new MemoryLayer({
          maxEntries: layer.value.maxEntries ?? CACHE_DEFAULTS.memory.maxEntries,
          maxBytes: Number(layer.value.maxBytes ?? CACHE_DEFAULTS.memory.maxBytes),
          maxTtlS: layer.value.maxTtlS,
          clock,
        });
        defaultTimeoutMs = CACHE_DEFAULTS.memory.timeoutMs;
        break;
      case "redis": {
        const connection = redisConnectionOf(layerSettings, config) ?? create(RedisSettingsSchema);
        defaultTimeoutMs = connection.commandTimeoutMs ?? CACHE_DEFAULTS.redis.timeoutMs;
        backend = new RedisLayer({
          topology: redisTopologyOf(layer.value, connection),
          password: connection.password,
          keyPrefix: `${connection.keyPrefix || CACHE_DEFAULTS.redis.keyPrefix}cache:`,
          commandTimeoutMs: layerSettings.timeoutMs ?? defaultTimeoutMs,
          clock,
        });
        break;
      }
      case "s3": {
        const { S3Layer } = await import("./layers/s3.js");
        backend = new S3Layer({
          bucket: layer.value.bucket,
          prefix: layer.value.prefix,
          region: layer.value.region || CACHE_DEFAULTS.objectStore.region,
          endpoint: layer.value.endpoint,
          accessKeyId: layer.value.accessKeyId,
          secretAccessKey: layer.value.secretAccessKey,
          forcePathStyle: layer.value.forcePathStyle,
        });
        break;
      }
      case "gcs": {
        const { GcsLayer } = await import("./layers/gcs.js");
        backend = new GcsLayer({
          bucket: layer.value.bucket,
          prefix: layer.value.prefix,
          projectId: layer.value.projectId,
          endpoint: layer.value.endpoint,
          credentialsFile: layer.value.credentialsFile,
        });
        break;
      }
      case "azureBlob": {
        const { AzureBlobLayer } = await import("./layers/azure-blob.js");
        backend = new AzureBlobLayer({
          connectionString: layer.value.connectionString,
          container: layer.value.container,
          prefix: layer.value.prefix,
        });
        break;
      }
      default:
        throw new Error("cache layer without a backend"); // cacheSettingsProblems reports this first
    }
    slots.push({ layer: backend, timeoutMs: layerSettings.timeoutMs ?? defaultTimeoutMs });
  }
  return slots;
}

function redisTopologyOf(layer: RedisCacheSettings, connection: RedisSettings): RedisTopology {
  if (layer.clusterNodes.length > 0) return { kind: "cluster", nodes: layer.clusterNodes.map(parseHostPort) };
  if (layer.sentinels.length > 0) {
    return { kind: "sentinel", sentinels: layer.sentinels.map(parseHostPort), masterName: layer.sentinelMasterName };
  }
  return { kind: "standalone", url: redisUrlOf(connection) };
}

import type { ResolvedCacheSettings } from "../config/resolved.js";
import type { Clock } from "../util/clock.js";
import type { CacheLayer } from "./layer.js";
import { MemoryLayer } from "./layers/memory.js";
import { RedisLayer } from "./layers/redis.js";
import type { LayerSlot } from "./tiered-cache.js";

/**
 * One backend per configured layer, in lookup order, from settings that
 * resolve.ts already checked and filled with defaults. The S3, GCS and
 * Azure SDKs are imported only when a layer uses them: together they weigh
 * about 50 MB of resident memory that a gateway without object-store
 * caching should not pay.
 */
export async function createLayers(settings: ResolvedCacheSettings, clock: Clock): Promise<LayerSlot[]> {
  const slots: LayerSlot[] = [];
  for (const layer of settings.layers) {
    let backend: CacheLayer;
    switch (layer.kind) {
      case "memory":
        backend = new MemoryLayer({ maxEntries: layer.maxEntries, maxBytes: layer.maxBytes, maxTtlS: layer.maxTtlS, clock });
        break;
      case "redis":
        backend = new RedisLayer({
          topology: layer.topology,
          password: layer.password,
          keyPrefix: layer.keyPrefix,
          commandTimeoutMs: layer.timeoutMs,
          clock,
        });
        break;
      case "s3": {
        const { S3Layer } = await import("./layers/s3.js");
        const s3 = layer.settings;
        backend = new S3Layer({
          bucket: s3.bucket,
          prefix: s3.prefix,
          region: layer.region,
          endpoint: s3.endpoint,
          accessKeyId: s3.accessKeyId,
          secretAccessKey: s3.secretAccessKey,
          forcePathStyle: s3.forcePathStyle,
        });
        break;
      }
      case "gcs": {
        const { GcsLayer } = await import("./layers/gcs.js");
        const gcs = layer.settings;
        backend = new GcsLayer({
          bucket: gcs.bucket,
          prefix: gcs.prefix,
          projectId: gcs.projectId,
          endpoint: gcs.endpoint,
          credentialsFile: gcs.credentialsFile,
        });
        break;
      }
      case "azureBlob": {
        const { AzureBlobLayer } = await import("./layers/azure-blob.js");
        const azure = layer.settings;
        backend = new AzureBlobLayer({ connectionString: azure.connectionString, container: azure.container, prefix: azure.prefix });
        break;
      }
    }
    slots.push({ layer: backend, timeoutMs: layer.timeoutMs });
  }
  return slots;
}

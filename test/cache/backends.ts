import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { BlobServiceClient } from "@azure/storage-blob";
import { Storage } from "@google-cloud/storage";
import { randomUUID } from "node:crypto";
import { inject } from "vitest";
import type { CacheLayer } from "../../src/cache/layer.js";
import { AzureBlobLayer } from "../../src/cache/layers/azure-blob.js";
import { GcsLayer } from "../../src/cache/layers/gcs.js";
import { MemoryLayer } from "../../src/cache/layers/memory.js";
import { RedisLayer } from "../../src/cache/layers/redis.js";
import { S3Layer } from "../../src/cache/layers/s3.js";
import type { Clock } from "../../src/util/clock.js";
import { MOTO_CREDENTIALS } from "../support/emulators/moto.js";

/** Bucket / container every cache test uses; each test isolates itself with a unique key prefix. */
export const BUCKET = "switchyard-cache-test";

/** Creates the bucket in each emulator of the run (idempotent). */
export async function ensureBuckets(): Promise<void> {
  const s3 = new S3Client({ endpoint: inject("s3Endpoint"), forcePathStyle: true, region: MOTO_CREDENTIALS.region, credentials: MOTO_CREDENTIALS });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET })).catch((err: { name?: string }) => {
    if (err.name !== "BucketAlreadyOwnedByYou" && err.name !== "BucketAlreadyExists") throw err;
  });
  s3.destroy();
  const gcs = new Storage({ apiEndpoint: inject("gcsEndpoint"), projectId: "test" });
  await gcs.createBucket(BUCKET).catch((err: { code?: number }) => {
    if (err.code !== 409) throw err;
  });
  const azure = BlobServiceClient.fromConnectionString(inject("azuriteConnectionString"));
  await azure.getContainerClient(BUCKET).createIfNotExists();
}

export type BackendName = "memory" | "redis" | "s3" | "gcs" | "azure_blob";
export const BACKENDS: BackendName[] = ["memory", "redis", "s3", "gcs", "azure_blob"];

/** A unique prefix so tests sharing one emulator never see each other's objects. */
export function uniquePrefix(): string {
  return `t-${randomUUID()}/`;
}

/** One real backend of each kind, pointed at the run's servers. */
export function makeLayer(name: BackendName, clock: Clock, prefix = uniquePrefix()): CacheLayer {
  switch (name) {
    case "memory":
      return new MemoryLayer({ maxEntries: 1000, maxBytes: 1 << 20, clock });
    case "redis":
      return new RedisLayer({ topology: { kind: "standalone", url: inject("redisUrl") }, keyPrefix: `switchyard-test:${prefix}`, commandTimeoutMs: 2000, clock });
    case "s3":
      return new S3Layer({ bucket: BUCKET, prefix, endpoint: inject("s3Endpoint"), forcePathStyle: true, ...MOTO_CREDENTIALS });
    case "gcs":
      return new GcsLayer({ bucket: BUCKET, prefix, projectId: "test", endpoint: inject("gcsEndpoint") });
    case "azure_blob":
      return new AzureBlobLayer({ connectionString: inject("azuriteConnectionString"), container: BUCKET, prefix });
  }
}

/** The same backends as config YAML layer entries, for gateway tests. */
export function layerConfig(name: BackendName, prefix = uniquePrefix(), timeoutMs = 5000): Record<string, unknown> {
  switch (name) {
    case "memory":
      return { memory: { max_entries: 1000 }, timeout_ms: timeoutMs };
    case "redis":
      return { redis: { connection: { url: inject("redisUrl"), key_prefix: `switchyard-test:${prefix}` } }, timeout_ms: timeoutMs };
    case "s3":
      return {
        s3: {
          bucket: BUCKET,
          prefix,
          region: MOTO_CREDENTIALS.region,
          endpoint: inject("s3Endpoint"),
          access_key_id: MOTO_CREDENTIALS.accessKeyId,
          secret_access_key: MOTO_CREDENTIALS.secretAccessKey,
          force_path_style: true,
        },
        timeout_ms: timeoutMs,
      };
    case "gcs":
      return { gcs: { bucket: BUCKET, prefix, project_id: "test", endpoint: inject("gcsEndpoint") }, timeout_ms: timeoutMs };
    case "azure_blob":
      return { azure_blob: { container: BUCKET, prefix, connection_string: inject("azuriteConnectionString") }, timeout_ms: timeoutMs };
  }
}

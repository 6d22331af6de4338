import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { MOTO_CREDENTIALS, startMoto } from "../test/support/emulators/moto.js";
import type { RunningService } from "../test/support/emulators/process.js";

export const CHAOS_BUCKET = "switchyard-chaos";

/**
 * moto's S3 server with the chaos bucket in it. moto keeps everything in
 * memory, so a restart (same port) starts empty and the bucket is created
 * again: what comes back is an S3 that answers, not the old entries.
 */
export async function startS3(port?: number): Promise<RunningService> {
  const moto = await startMoto(port);
  const s3 = new S3Client({ endpoint: moto.endpoint, forcePathStyle: true, region: MOTO_CREDENTIALS.region, credentials: MOTO_CREDENTIALS });
  try {
    await s3.send(new CreateBucketCommand({ Bucket: CHAOS_BUCKET }));
  } catch (err) {
    await moto.stop();
    throw err;
  } finally {
    s3.destroy();
  }
  return moto;
}

/** The gateway's cache_settings layer for that bucket. */
export function s3Layer(endpoint: string, timeoutMs: number) {
  return {
    s3: {
      bucket: CHAOS_BUCKET,
      prefix: "chaos/",
      endpoint,
      region: MOTO_CREDENTIALS.region,
      access_key_id: MOTO_CREDENTIALS.accessKeyId,
      secret_access_key: MOTO_CREDENTIALS.secretAccessKey,
      force_path_style: true,
    },
    timeout_ms: timeoutMs,
  };
}

import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { CacheLayer as CacheLayerKind } from "../../../gen/ts/switchyard/v1/inference_pb.js";
import { decodeEntry, encodeEntry, entryMetadata, type CacheEntry } from "../entry.js";
import type { CacheLayer, DeleteTarget } from "../layer.js";

export interface S3LayerOptions {
  bucket: string;
  prefix: string;
  region: string;
  endpoint?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  forcePathStyle: boolean;
}

/**
 * S3 or any S3-compatible store (official AWS SDK v3). One object per
 * entry; the header with created time and TTL is in the body (one GET says
 * everything) and mirrored in object metadata for people browsing the bucket.
 * The SDK's own retries are off: the layer timeout bounds the call and a
 * failure just means "go to the next layer".
 */
export class S3Layer implements CacheLayer {
  readonly name = "s3";
  readonly kind = CacheLayerKind.S3;
  private readonly s3: S3Client;

  constructor(private readonly options: S3LayerOptions) {
    this.s3 = new S3Client({
      region: options.region,
      endpoint: options.endpoint || undefined,
      forcePathStyle: options.forcePathStyle,
      maxAttempts: 1,
      credentials:
        options.accessKeyId && options.secretAccessKey
          ? { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey }
          : undefined,
    });
  }

  async get(key: string, signal: AbortSignal): Promise<CacheEntry | undefined> {
    try {
      const object = await this.s3.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: this.objectKey(key) }), {
        abortSignal: signal,
      });
      if (!object.Body) return undefined;
      return decodeEntry(await object.Body.transformToByteArray());
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async set(key: string, entry: CacheEntry, signal: AbortSignal): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.options.bucket,
        Key: this.objectKey(key),
        Body: encodeEntry(entry),
        ContentType: "application/octet-stream",
        Metadata: entryMetadata(entry),
      }),
      { abortSignal: signal },
    );
  }

  async delete(target: DeleteTarget, signal: AbortSignal): Promise<number> {
    if ("key" in target) {
      const Key = this.objectKey(target.key);
      try {
        await this.s3.send(new HeadObjectCommand({ Bucket: this.options.bucket, Key }), { abortSignal: signal });
      } catch (err) {
        if (isNotFound(err)) return 0;
        throw err;
      }
      await this.s3.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key }), { abortSignal: signal });
      return 1;
    }
    let deleted = 0;
    let token: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectsV2Command({ Bucket: this.options.bucket, Prefix: this.objectKey(target.prefix), ContinuationToken: token }),
        { abortSignal: signal },
      );
      const keys = (page.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
      if (keys.length > 0) {
        const result = await this.s3.send(
          new DeleteObjectsCommand({ Bucket: this.options.bucket, Delete: { Objects: keys, Quiet: false } }),
          { abortSignal: signal },
        );
        deleted += result.Deleted?.length ?? 0;
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return deleted;
  }

  async close(): Promise<void> {
    this.s3.destroy();
  }

  private objectKey(key: string): string {
    return this.options.prefix + key;
  }
}

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === "NoSuchKey" || e?.name === "NotFound" || e?.$metadata?.httpStatusCode === 404;
}

import { Storage, type Bucket } from "@google-cloud/storage";
import { CacheLayer as CacheLayerKind } from "../../../gen/ts/switchyard/v1/inference_pb.js";
import { decodeEntry, encodeEntry, entryMetadata, type CacheEntry } from "../entry.js";
import type { CacheLayer, DeleteTarget } from "../layer.js";

export interface GcsLayerOptions {
  bucket: string;
  prefix: string;
  projectId?: string;
  /** Custom endpoint, e.g. fake-gcs-server; the SDK sends no credentials to it. */
  endpoint?: string;
  credentialsFile?: string;
}

/**
 * Google Cloud Storage (official SDK). One object per entry, header in the
 * body, metadata mirrored on the object. SDK retries are off: the layer
 * timeout bounds each call.
 */
export class GcsLayer implements CacheLayer {
  readonly name = "gcs";
  readonly kind = CacheLayerKind.GCS;
  private readonly bucket: Bucket;

  constructor(private readonly options: GcsLayerOptions) {
    const storage = new Storage({
      projectId: options.projectId || undefined,
      apiEndpoint: options.endpoint || undefined,
      keyFilename: options.credentialsFile || undefined,
      retryOptions: { autoRetry: false, maxRetries: 0 },
    });
    this.bucket = storage.bucket(options.bucket);
  }

  async get(key: string): Promise<CacheEntry | undefined> {
    try {
      const [bytes] = await this.bucket.file(this.objectName(key)).download();
      return decodeEntry(bytes);
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  async set(key: string, entry: CacheEntry): Promise<void> {
    await this.bucket.file(this.objectName(key)).save(encodeEntry(entry), {
      resumable: false,
      contentType: "application/octet-stream",
      metadata: { metadata: entryMetadata(entry) },
    });
  }

  async delete(target: DeleteTarget): Promise<number> {
    if ("key" in target) {
      try {
        await this.bucket.file(this.objectName(target.key)).delete();
        return 1;
      } catch (err) {
        if (statusOf(err) === 404) return 0;
        throw err;
      }
    }
    const [files] = await this.bucket.getFiles({ prefix: this.objectName(target.prefix) });
    await Promise.all(files.map((f) => f.delete({ ignoreNotFound: true })));
    return files.length;
  }

  private objectName(key: string): string {
    return this.options.prefix + key;
  }
}

function statusOf(err: unknown): number | undefined {
  return (err as { code?: number })?.code;
}

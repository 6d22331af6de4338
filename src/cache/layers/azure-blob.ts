import { BlobServiceClient, type ContainerClient } from "@azure/storage-blob";
import { CacheLayer as CacheLayerKind } from "../../../gen/ts/switchyard/v1/inference_pb.js";
import { decodeEntry, encodeEntry, entryMetadata, type CacheEntry } from "../entry.js";
import type { CacheLayer, DeleteTarget } from "../layer.js";

export interface AzureBlobLayerOptions {
  connectionString: string;
  container: string;
  prefix: string;
}

/**
 * Azure Blob Storage (official SDK). One block blob per entry, header in
 * the body, metadata mirrored on the blob. SDK retries are off (one try):
 * the layer timeout bounds each call.
 */
export class AzureBlobLayer implements CacheLayer {
  readonly name = "azure_blob";
  readonly kind = CacheLayerKind.AZURE_BLOB;
  private readonly container: ContainerClient;

  constructor(private readonly options: AzureBlobLayerOptions) {
    const service = BlobServiceClient.fromConnectionString(options.connectionString, { retryOptions: { maxTries: 1 } });
    this.container = service.getContainerClient(options.container);
  }

  async get(key: string, signal: AbortSignal): Promise<CacheEntry | undefined> {
    try {
      const bytes = await this.container.getBlockBlobClient(this.blobName(key)).downloadToBuffer(0, undefined, { abortSignal: signal });
      return decodeEntry(bytes);
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  async set(key: string, entry: CacheEntry, signal: AbortSignal): Promise<void> {
    const body = encodeEntry(entry);
    await this.container.getBlockBlobClient(this.blobName(key)).upload(body, body.byteLength, {
      abortSignal: signal,
      metadata: azureMetadata(entry),
      blobHTTPHeaders: { blobContentType: "application/octet-stream" },
    });
  }

  async delete(target: DeleteTarget, signal: AbortSignal): Promise<number> {
    if ("key" in target) {
      const result = await this.container.getBlockBlobClient(this.blobName(target.key)).deleteIfExists({ abortSignal: signal });
      return result.succeeded ? 1 : 0;
    }
    let deleted = 0;
    for await (const blob of this.container.listBlobsFlat({ prefix: this.blobName(target.prefix), abortSignal: signal })) {
      const result = await this.container.getBlockBlobClient(blob.name).deleteIfExists({ abortSignal: signal });
      if (result.succeeded) deleted++;
    }
    return deleted;
  }

  private blobName(key: string): string {
    return this.options.prefix + key;
  }
}

/** Azure metadata names must be C# identifiers: no dashes. */
function azureMetadata(entry: CacheEntry): Record<string, string> {
  return Object.fromEntries(Object.entries(entryMetadata(entry)).map(([k, v]) => [k.replace(/-/g, "_"), v]));
}

function statusOf(err: unknown): number | undefined {
  return (err as { statusCode?: number })?.statusCode;
}

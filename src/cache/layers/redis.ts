import { Redis } from "ioredis";
import { CacheLayer as CacheLayerKind } from "../../../gen/ts/switchyard/v1/inference_pb.js";
import { decodeEntry, encodeEntry, expiresAtMs, type CacheEntry } from "../entry.js";
import type { CacheLayer, DeleteTarget } from "../layer.js";
import type { Clock } from "../../util/clock.js";

export interface RedisLayerOptions {
  url: string;
  password?: string;
  /** Prefix of every Redis key this layer writes, e.g. "switchyard:cache:". */
  keyPrefix: string;
  commandTimeoutMs: number;
  clock: Clock;
}

/** Keys scanned and unlinked per round trip when deleting a namespace. */
const SCAN_BATCH = 500;

/**
 * Redis (ioredis). Entries carry a native PX expiry so Redis frees them on
 * its own; freshness is still checked above on the gateway's clock. The
 * offline queue is off: while Redis is down a command fails at once
 * instead of waiting, and the request goes on to the next layer.
 */
export class RedisLayer implements CacheLayer {
  readonly name = "redis";
  readonly kind = CacheLayerKind.REDIS;
  private readonly redis: Redis;

  constructor(private readonly options: RedisLayerOptions) {
    this.redis = new Redis(options.url, {
      password: options.password || undefined,
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: options.commandTimeoutMs,
      connectTimeout: Math.max(1000, options.commandTimeoutMs),
      retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
    });
    // ioredis emits "error" on every failed reconnect; the layer's callers count failures, so don't crash on them.
    this.redis.on("error", () => {});
  }

  async open(): Promise<void> {
    await this.redis.connect();
  }

  async get(key: string): Promise<CacheEntry | undefined> {
    const bytes = await this.redis.getBuffer(this.options.keyPrefix + key);
    return bytes ? decodeEntry(bytes) : undefined;
  }

  async set(key: string, entry: CacheEntry): Promise<void> {
    const ttlMs = Math.ceil(expiresAtMs(entry) - this.options.clock.now());
    if (ttlMs <= 0) return;
    await this.redis.set(this.options.keyPrefix + key, encodeEntry(entry), "PX", ttlMs);
  }

  async delete(target: DeleteTarget): Promise<number> {
    if ("key" in target) return this.redis.unlink(this.options.keyPrefix + target.key);
    const pattern = `${escapeGlob(this.options.keyPrefix + target.prefix)}*`;
    let deleted = 0;
    let cursor = "0";
    do {
      const [next, keys] = await this.redis.scan(cursor, "MATCH", pattern, "COUNT", SCAN_BATCH);
      if (keys.length > 0) deleted += await this.redis.unlink(...keys);
      cursor = next;
    } while (cursor !== "0");
    return deleted;
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

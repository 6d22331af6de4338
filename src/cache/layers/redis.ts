import { Cluster, Redis, type RedisOptions } from "ioredis";
import { CacheLayer as CacheLayerKind } from "../../../gen/ts/switchyard/v1/inference_pb.js";
import { decodeEntry, encodeEntry, expiresAtMs, type CacheEntry } from "../entry.js";
import type { CacheLayer, DeleteTarget } from "../layer.js";
import type { Clock } from "../../util/clock.js";
import type { RedisTopology } from "../../config/resolved.js";

export type { HostPort, RedisTopology } from "../../config/resolved.js";
export { parseHostPort } from "../../config/redis-settings.js";

export interface RedisLayerOptions {
  topology: RedisTopology;
  password?: string;
  /** Prefix of every Redis key this layer writes, e.g. "switchyard:cache:". */
  keyPrefix: string;
  commandTimeoutMs: number;
  clock: Clock;
}

/** Keys scanned per round trip when deleting a namespace. */
const SCAN_BATCH = 500;

/**
 * Redis (ioredis): standalone, Cluster or Sentinel. Entries carry a native
 * PX expiry so Redis frees them on its own; freshness is still checked
 * above on the gateway's clock. The offline queue is off: while Redis is
 * down a command fails at once instead of waiting, and the request goes on
 * to the next layer; the client keeps reconnecting in the background.
 */
export class RedisLayer implements CacheLayer {
  readonly name = "redis";
  readonly kind = CacheLayerKind.REDIS;
  private readonly redis: Redis | Cluster;

  constructor(private readonly options: RedisLayerOptions) {
    const common: RedisOptions = {
      password: options.password || undefined,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: options.commandTimeoutMs,
      connectTimeout: Math.max(1000, options.commandTimeoutMs),
      retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
    };
    const { topology } = options;
    switch (topology.kind) {
      case "standalone":
        this.redis = new Redis(topology.url, { ...common, lazyConnect: true });
        break;
      case "sentinel":
        this.redis = new Redis({ ...common, lazyConnect: true, sentinels: [...topology.sentinels], name: topology.masterName });
        break;
      case "cluster":
        this.redis = new Cluster([...topology.nodes], {
          lazyConnect: true,
          enableOfflineQueue: false,
          clusterRetryStrategy: (attempt) => Math.min(attempt * 200, 2000),
          redisOptions: common,
        });
        break;
    }
    // ioredis emits "error" on every failed reconnect; failed commands are counted by the caller, so don't crash on these.
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
    // SCAN walks one server's keyspace: on a cluster, walk every master.
    const servers = this.redis instanceof Cluster ? this.redis.nodes("master") : [this.redis];
    const counts = await Promise.all(servers.map((server) => deleteMatching(server, pattern)));
    return counts.reduce((a, b) => a + b, 0);
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }

  /** Resolves once the client is connected and ready for commands (at once if it is): lets a caller wait for a reconnect instead of polling. */
  ready(): Promise<void> {
    if (this.redis.status === "ready") return Promise.resolve();
    return new Promise((resolve) => this.redis.once("ready", () => resolve()));
  }
}

async function deleteMatching(server: Redis, pattern: string): Promise<number> {
  let deleted = 0;
  let cursor = "0";
  do {
    const [next, keys] = await server.scan(cursor, "MATCH", pattern, "COUNT", SCAN_BATCH);
    // One UNLINK per key: a multi-key UNLINK fails (CROSSSLOT) when keys hash to different cluster slots.
    const results = await Promise.all(keys.map((key) => server.unlink(key)));
    deleted += results.reduce((a, b) => a + b, 0);
    cursor = next;
  } while (cursor !== "0");
  return deleted;
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

import { LRUCache } from "lru-cache";
import { CacheLayer as CacheLayerKind } from "../../../gen/ts/switchyard/v1/inference_pb.js";
import type { Clock } from "../../util/clock.js";
import { entrySize, expiresAtMs, type CacheEntry } from "../entry.js";
import type { CacheLayer, DeleteTarget, LayerUsage } from "../layer.js";

export interface MemoryLayerOptions {
  maxEntries: number;
  maxBytes: number;
  /** Cap on time in memory, seconds; undefined = the entry's own TTL. */
  maxTtlS?: number;
  clock: Clock;
}

/**
 * In-process LRU bounded by entry count and total bytes (lru-cache does the
 * size accounting and eviction). Its TTL runs on our Clock via `perf`, so
 * expired entries leave memory on the same time base the tests drive.
 */
export class MemoryLayer implements CacheLayer {
  readonly name = "memory";
  readonly kind = CacheLayerKind.MEMORY;
  readonly inProcess = true;
  private readonly lru: LRUCache<string, CacheEntry>;
  private evictions = 0;

  constructor(private readonly options: MemoryLayerOptions) {
    this.lru = new LRUCache<string, CacheEntry>({
      max: options.maxEntries,
      maxSize: options.maxBytes,
      sizeCalculation: entrySize,
      perf: { now: () => options.clock.now() },
      // Read the clock on every check; lru-cache otherwise reuses a "now" for up to 1 ms of real time.
      ttlResolution: 0,
      // Only capacity evictions count; expiry and overwrites are not evictions.
      dispose: (_value, _key, reason) => {
        if (reason === "evict") this.evictions++;
      },
    });
  }

  async get(key: string): Promise<CacheEntry | undefined> {
    return this.lru.get(key);
  }

  async set(key: string, entry: CacheEntry): Promise<void> {
    const size = entrySize(entry);
    if (size > this.options.maxBytes) return; // larger than the whole cache: lru-cache would refuse it anyway
    let ttlMs = expiresAtMs(entry) - this.options.clock.now();
    if (this.options.maxTtlS !== undefined) ttlMs = Math.min(ttlMs, this.options.maxTtlS * 1000);
    if (ttlMs <= 0) return;
    this.lru.set(key, entry, { ttl: ttlMs, size });
  }

  async delete(target: DeleteTarget): Promise<number> {
    if ("key" in target) return this.lru.delete(target.key) ? 1 : 0;
    let deleted = 0;
    for (const key of [...this.lru.keys()]) {
      if (key.startsWith(target.prefix) && this.lru.delete(key)) deleted++;
    }
    return deleted;
  }

  usage(): LayerUsage {
    return { bytes: this.lru.calculatedSize, entries: this.lru.size, evictions: this.evictions };
  }
}

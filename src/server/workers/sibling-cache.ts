import { BroadcastChannel } from "node:worker_threads";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import {
  CacheLayerStatsSchema,
  GetCacheStatsResponseSchema,
  InvalidateCacheRequestSchema,
  type CacheLayerStats,
  type GetCacheStatsResponse,
} from "../../../gen/ts/switchyard/v1/admin_pb.js";
import type { GatewayCache } from "../../cache/index.js";
import type { Logger } from "../../observability/logger.js";
import type { AdminCache } from "../admin-service.js";

/** How long GetCacheStats waits for sibling workers (one being replaced never answers), ms. */
const STATS_REPLY_TIMEOUT_MS = 250;

type Message =
  | { type: "invalidate"; request: Uint8Array }
  | { type: "stats-request"; id: number; from: number }
  | { type: "stats-reply"; id: number; to: number; stats: Uint8Array };

/**
 * The cache admin RPCs of one worker thread, covering all its siblings:
 * memory layers are per worker, so InvalidateCache is broadcast for every
 * worker to apply to its own layers, and GetCacheStats adds up every
 * worker's counters (each worker counts its own lookups; each memory layer
 * holds its own entries and bytes).
 */
export class SiblingCache implements AdminCache {
  private readonly channel: BroadcastChannel;
  private nextId = 0;
  private readonly pending = new Map<number, { replies: GetCacheStatsResponse[]; done: () => void }>();

  constructor(
    private readonly cache: GatewayCache,
    channelName: string,
    private readonly slot: number,
    private readonly workers: number,
    private readonly logger: Logger,
  ) {
    this.channel = new BroadcastChannel(channelName);
    this.channel.unref();
    this.channel.onmessage = (event) => this.receive((event as MessageEvent<Message>).data);
  }

  async invalidate(request: Parameters<AdminCache["invalidate"]>[0]) {
    const response = await this.cache.invalidate(request);
    this.post({ type: "invalidate", request: toBinary(InvalidateCacheRequestSchema, request) });
    return response;
  }

  async stats(): Promise<GetCacheStatsResponse> {
    const id = this.nextId++;
    const replies: GetCacheStatsResponse[] = [];
    const others = this.workers - 1;
    await new Promise<void>((resolve) => {
      if (others === 0) return resolve();
      const timer = setTimeout(resolve, STATS_REPLY_TIMEOUT_MS);
      this.pending.set(id, {
        replies,
        done: () => {
          clearTimeout(timer);
          resolve();
        },
      });
      this.post({ type: "stats-request", id, from: this.slot });
    });
    this.pending.delete(id);
    return sumStats([await this.cache.stats(), ...replies]);
  }

  close(): void {
    this.channel.close();
  }

  private receive(message: Message): void {
    if (message.type === "invalidate") {
      const request = fromBinary(InvalidateCacheRequestSchema, message.request);
      this.cache.invalidate(request).catch((err: Error) => this.logger.warn({ err: err.message }, "cache invalidation from a sibling worker failed"));
    } else if (message.type === "stats-request") {
      void this.cache.stats().then((stats) =>
        this.post({ type: "stats-reply", id: message.id, to: message.from, stats: toBinary(GetCacheStatsResponseSchema, stats) }),
      );
    } else if (message.to === this.slot) {
      const waiting = this.pending.get(message.id);
      if (!waiting) return;
      waiting.replies.push(fromBinary(GetCacheStatsResponseSchema, message.stats));
      if (waiting.replies.length === this.workers - 1) waiting.done();
    }
  }

  private post(message: Message): void {
    this.channel.postMessage(message);
  }
}

/** Every worker's layers, added up per layer name (in the first worker's layer order). */
export function sumStats(perWorker: readonly GetCacheStatsResponse[]): GetCacheStatsResponse {
  const byLayer = new Map<string, CacheLayerStats>();
  for (const response of perWorker) {
    for (const layer of response.layers) {
      const total = byLayer.get(layer.layer);
      if (!total) {
        byLayer.set(layer.layer, create(CacheLayerStatsSchema, { ...layer }));
        continue;
      }
      total.hits += layer.hits;
      total.misses += layer.misses;
      total.sets += layer.sets;
      total.errors += layer.errors;
      total.evictions += layer.evictions;
      total.bytes += layer.bytes;
      total.entries += layer.entries;
    }
  }
  return create(GetCacheStatsResponseSchema, { layers: [...byLayer.values()] });
}

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
import { SiblingQuery } from "./sibling-query.js";

type Message = { type: "invalidate"; request: Uint8Array };

/**
 * The cache admin RPCs of one worker thread, covering all its siblings:
 * memory layers are per worker, so InvalidateCache is broadcast for every
 * worker to apply to its own layers, and GetCacheStats adds up every
 * worker's counters (each worker counts its own lookups; each memory layer
 * holds its own entries and bytes).
 */
export class SiblingCache implements AdminCache {
  private readonly channel: BroadcastChannel;
  private readonly statsQuery: SiblingQuery;

  constructor(
    private readonly cache: GatewayCache,
    channelName: string,
    slot: number,
    workers: number,
    private readonly logger: Logger,
  ) {
    this.channel = new BroadcastChannel(channelName);
    this.channel.unref();
    this.channel.onmessage = (event) => this.receive((event as MessageEvent<Message>).data);
    this.statsQuery = new SiblingQuery(`${channelName}:stats`, slot, workers, async () => toBinary(GetCacheStatsResponseSchema, await this.cache.stats()));
  }

  async invalidate(request: Parameters<AdminCache["invalidate"]>[0]) {
    const response = await this.cache.invalidate(request);
    this.channel.postMessage({ type: "invalidate", request: toBinary(InvalidateCacheRequestSchema, request) } satisfies Message);
    return response;
  }

  async stats(): Promise<GetCacheStatsResponse> {
    const [own, siblings] = await Promise.all([this.cache.stats(), this.statsQuery.ask()]);
    return sumStats([own, ...siblings.map((bytes) => fromBinary(GetCacheStatsResponseSchema, bytes))]);
  }

  close(): void {
    this.channel.close();
    this.statsQuery.close();
  }

  private receive(message: Message): void {
    const request = fromBinary(InvalidateCacheRequestSchema, message.request);
    this.cache.invalidate(request).catch((err: Error) => this.logger.warn({ err: err.message }, "cache invalidation from a sibling worker failed"));
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

import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  GetCacheStatsResponseSchema,
  InvalidateCacheResponseSchema,
  type GetCacheStatsResponse,
  type InvalidateCacheRequest,
  type InvalidateCacheResponse,
} from "../../gen/ts/switchyard/v1/admin_pb.js";
import type { ResolvedCacheSettings } from "../config/resolved.js";
import type { Logger } from "../observability/logger.js";
import type { InferenceBackend } from "../router/inference-backend.js";
import type { Clock } from "../util/clock.js";
import { CachedBackend } from "./cached-backend.js";
import { createLayers } from "./create-layers.js";
import { CacheKeys, DEFAULT_NAMESPACE, isValidNamespace } from "./key.js";
import { CacheInvalidationError, TieredCache } from "./tiered-cache.js";

/** The cache as the gateway sees it: decorates the router, answers the admin RPCs, closes with the server. */
export class GatewayCache {
  constructor(
    readonly tiers: TieredCache,
    readonly keys: CacheKeys,
    readonly settings: ResolvedCacheSettings,
  ) {}

  /** `backend` (the router) with the cache in front of it. */
  inFrontOf(backend: InferenceBackend): InferenceBackend {
    return new CachedBackend(backend, this.tiers, this.keys, this.settings);
  }

  /** AdminService.InvalidateCache: one key, or a whole request namespace, in every layer. */
  async invalidate(request: InvalidateCacheRequest): Promise<InvalidateCacheResponse> {
    const { target } = request;
    if (target.case === "namespace" && target.value && !isValidNamespace(target.value)) {
      throw new ConnectError(`namespace: "${target.value}" must be 1-64 letters, digits, ".", "_" or "-"`, Code.InvalidArgument);
    }
    if (target.case === "key" && !target.value) throw new ConnectError("key: must not be empty", Code.InvalidArgument);
    const deleteTarget =
      target.case === "key" ? { key: target.value } : { prefix: this.keys.namespacePrefix(target.value || DEFAULT_NAMESPACE) };
    try {
      return create(InvalidateCacheResponseSchema, { deleted: BigInt(await this.tiers.invalidate(deleteTarget)) });
    } catch (err) {
      if (err instanceof CacheInvalidationError) throw new ConnectError(err.message, Code.Unavailable);
      throw err;
    }
  }

  /** AdminService.GetCacheStats. */
  async stats(): Promise<GetCacheStatsResponse> {
    return create(GetCacheStatsResponseSchema, { layers: this.tiers.stats() });
  }

  /** Waits for background writes (tests; shutdown). */
  idle(): Promise<void> {
    return this.tiers.idle();
  }

  close(): Promise<void> {
    return this.tiers.close();
  }
}

/**
 * Builds the cache from the resolved cache settings (ResolvedConfig.cache),
 * or undefined when caching is off. Layers that cannot be reached yet do
 * not stop the gateway from starting.
 */
export async function createGatewayCache(
  settings: ResolvedCacheSettings | undefined,
  deps: { clock: Clock; logger: Logger },
): Promise<GatewayCache | undefined> {
  if (!settings) return undefined;
  const tiers = new TieredCache(await createLayers(settings, deps.clock), deps.clock, deps.logger, settings.maxPendingWrites);
  await tiers.open();
  return new GatewayCache(tiers, new CacheKeys(settings.namespace), settings);
}

import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import type {
  AdminService,
  GetCacheStatsResponse,
  GetRouterStateRequest,
  GetRouterStateResponse,
  InvalidateCacheRequest,
  InvalidateCacheResponse,
} from "../../gen/ts/switchyard/v1/admin_pb.js";

/** What the cache admin RPCs reach. */
export interface AdminCache {
  invalidate(request: InvalidateCacheRequest): Promise<InvalidateCacheResponse>;
  stats(): Promise<GetCacheStatsResponse>;
}

/** What the admin RPCs read from: the router's state and the cache, each optional. */
export interface AdminBackends {
  routerState?: (request: GetRouterStateRequest) => Promise<GetRouterStateResponse>;
  cache?: AdminCache;
  /** Virtual key management (src/auth). */
  keys: Pick<ServiceImpl<typeof AdminService>, "createKey" | "listKeys" | "getKey" | "updateKey" | "revokeKey" | "rotateKey">;
}

export function adminService(backends: AdminBackends): ServiceImpl<typeof AdminService> {
  return {
    getRouterState(request) {
      if (!backends.routerState) throw new ConnectError("router state is not available", Code.Unimplemented);
      return backends.routerState(request);
    },
    invalidateCache(request) {
      if (!backends.cache) throw new ConnectError("caching is not enabled (cache_settings.enabled)", Code.FailedPrecondition);
      if (request.target.case === undefined) throw new ConnectError("target: set key or namespace", Code.InvalidArgument);
      return backends.cache.invalidate(request);
    },
    getCacheStats() {
      if (!backends.cache) throw new ConnectError("caching is not enabled (cache_settings.enabled)", Code.FailedPrecondition);
      return backends.cache.stats();
    },
    ...backends.keys,
  };
}

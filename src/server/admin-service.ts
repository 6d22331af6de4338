import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import type {
  AdminService,
  GetCacheStatsResponse,
  GetRouterStateRequest,
  GetRouterStateResponse,
  InvalidateCacheRequest,
  InvalidateCacheResponse,
  ReloadConfigRequest,
  ReloadConfigResponse,
  SetDeploymentStateRequest,
  SetDeploymentStateResponse,
} from "../../gen/ts/switchyard/v1/admin_pb.js";
import { ConfigError } from "../config/config-error.js";

/** What the cache admin RPCs reach. */
export interface AdminCache {
  invalidate(request: InvalidateCacheRequest): Promise<InvalidateCacheResponse>;
  stats(): Promise<GetCacheStatsResponse>;
}

/** What the admin RPCs read from: the router's state and the cache, each optional. */
export interface AdminBackends {
  routerState?: (request: GetRouterStateRequest) => Promise<GetRouterStateResponse>;
  cache?: AdminCache;
  deploymentControl?: (request: SetDeploymentStateRequest) => Promise<SetDeploymentStateResponse>;
  reloadConfig?: (request: ReloadConfigRequest) => Promise<ReloadConfigResponse>;
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
    setDeploymentState(request) {
      if (!backends.deploymentControl) throw new ConnectError("deployment control is not available", Code.Unimplemented);
      return backends.deploymentControl(request);
    },
    async reloadConfig(request) {
      if (!backends.reloadConfig) throw new ConnectError("config reload is not available", Code.Unimplemented);
      try {
        return await backends.reloadConfig(request);
      } catch (err) {
        // The same precise errors validate-config prints; the running config keeps serving.
        if (err instanceof ConfigError) throw new ConnectError(err.message, Code.InvalidArgument);
        throw err;
      }
    },
    ...backends.keys,
  };
}

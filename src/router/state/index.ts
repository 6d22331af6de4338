import type { ResolvedConfig } from "../../config/resolve.js";
import type { Logger } from "../../observability/logger.js";
import type { Clock } from "../../util/clock.js";
import { MemoryStateStore } from "./memory-store.js";
import { RedisStateStore } from "./redis-store.js";
import type { DeploymentStateStore } from "./state-store.js";

export type { DeploymentStateStore, DeploymentStats, Lease, SuccessSample } from "./state-store.js";
export { MemoryStateStore } from "./memory-store.js";
export { RedisStateStore } from "./redis-store.js";

/** Shared state in Redis when the config has a `redis` section, else this process's memory. */
export function createStateStore(config: ResolvedConfig, clock: Clock, logger?: Logger): DeploymentStateStore {
  if (!config.redis) return new MemoryStateStore(clock);
  return new RedisStateStore({ ...config.redis, stateSyncMs: config.router.stateSyncMs, clock, logger });
}

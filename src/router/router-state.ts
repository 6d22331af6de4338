import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  DeploymentHealth,
  DeploymentStateSchema,
  GetRouterStateResponseSchema,
  type GetRouterStateRequest,
  type GetRouterStateResponse,
  type DeploymentState,
  type WaitQueueState,
} from "../../gen/ts/switchyard/v1/admin_pb.js";
import type { ResolvedConfig, ResolvedDeployment } from "../config/resolve.js";
import { GatewayError, ErrorKind } from "../errors/gateway-error.js";
import type { Clock } from "../util/clock.js";
import { redactSecrets } from "../util/redact.js";
import { healthOf } from "./cooldowns.js";
import { shown } from "../util/cap.js";
import type { DeploymentStateStore, DeploymentStats } from "./state/state-store.js";

/**
 * AdminService.GetRouterState: each deployment's health, cooldown,
 * in-flight, this minute's rpm/tpm and latency estimate, as the state
 * store (so, with Redis, the whole fleet) sees them.
 */
export function routerStateReader(
  currentConfig: ResolvedConfig | (() => ResolvedConfig),
  store: DeploymentStateStore,
  clock: Clock,
  /** This gateway's wait queues: the router's own, or (worker threads) every worker's merged. */
  waitQueues: () => WaitQueueState[] | Promise<WaitQueueState[]> = () => [],
) {
  return async (request: GetRouterStateRequest): Promise<GetRouterStateResponse> => {
    // A getter when the config can be reloaded: always report the deployments now configured.
    const config = typeof currentConfig === "function" ? currentConfig() : currentConfig;
    const deployments = request.modelGroup ? config.groups.get(request.modelGroup) : config.deployments;
    if (!deployments) {
      throw new GatewayError(ErrorKind.NOT_FOUND, `model_group ${shown(request.modelGroup)} is not a model group on this gateway`, {
        field: "model_group",
      });
    }
    const [stats, queues] = await Promise.all([store.stats(deployments.map((d) => d.id)), waitQueues()]);
    const now = clock.now();
    return create(GetRouterStateResponseSchema, {
      sharedStateAvailable: store.shared,
      waitQueues: queues.filter((q) => !request.modelGroup || q.modelGroup === request.modelGroup),
      deployments: deployments.map((d) => deploymentState(d, stats.get(d.id)!, now)),
    });
  };
}

/** One deployment's DeploymentState message from its stats. */
export function deploymentState(d: ResolvedDeployment, s: DeploymentStats, now: number): DeploymentState {
  const health = healthOf(s, now);
  return create(DeploymentStateSchema, {
    deploymentId: d.id,
    modelGroup: d.modelGroup,
    provider: d.provider,
    health,
    cooldownUntil: health === DeploymentHealth.COOLDOWN ? timestampFromMs(s.cooldownUntilMs) : undefined,
    inFlight: s.inFlight,
    currentRpm: s.rpm,
    currentTpm: s.tpm,
    latencyMs: s.ttftMs ?? s.latencyPerTokenMs ?? 0,
    recentFailures: s.recentFailures,
    lastError: redactSecrets(s.lastError),
    drained: s.drained ?? false,
  });
}

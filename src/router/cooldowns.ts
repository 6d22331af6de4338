import { DeploymentHealth } from "../../gen/ts/switchyard/v1/admin_pb.js";
import type { RouterDefaults } from "../config/resolve.js";
import type { GatewayError } from "../errors/gateway-error.js";
import { kindName } from "../errors/status.js";
import type { Clock } from "../util/clock.js";
import type { DeploymentStateStore, DeploymentStats } from "./state/state-store.js";

/**
 * The circuit breaker over the state store: failures counted per window
 * trip a deployment into cooldown; when the cooldown is over it is
 * half-open and one trial call decides: success closes it, failure cools
 * it down again at once.
 */
export class Cooldowns {
  constructor(
    private readonly store: DeploymentStateStore,
    private readonly settings: RouterDefaults,
    private readonly clock: Clock,
  ) {}

  /**
   * Counts a failed call against the deployment. Failures that are the
   * request's fault (invalid request, context window, content policy,
   * cancelled) say nothing about the deployment and are not counted.
   */
  async onFailure(deploymentId: string, error: GatewayError, wasTrial: boolean): Promise<void> {
    const message = describe(error);
    if (wasTrial) return this.store.coolDown(deploymentId, this.clock.now() + this.settings.cooldownTimeMs, message);
    const allowed = this.settings.allowedFailsByKind.get(error.kind);
    if (allowed === undefined) return;
    const failures = await this.store.recordFailure(deploymentId, message, this.settings.failureWindowMs);
    if (failures >= allowed) await this.store.coolDown(deploymentId, this.clock.now() + this.settings.cooldownTimeMs, message);
  }

  async onSuccess(deploymentId: string, wasTrial: boolean): Promise<void> {
    if (wasTrial) await this.store.recover(deploymentId);
  }
}

/** Health as GetRouterState reports it. */
export function healthOf(stats: DeploymentStats, nowMs: number): DeploymentHealth {
  if (stats.unhealthy) return DeploymentHealth.UNHEALTHY;
  if (stats.cooldownUntilMs > nowMs) return DeploymentHealth.COOLDOWN;
  if (stats.tripped) return DeploymentHealth.HALF_OPEN;
  return DeploymentHealth.HEALTHY;
}

export function describe(error: GatewayError): string {
  return `${kindName(error.kind)}: ${error.message}`;
}

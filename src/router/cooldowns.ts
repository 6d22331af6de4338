import { DeploymentHealth } from "../../gen/ts/switchyard/v1/admin_pb.js";
import type { RouterDefaults } from "../config/resolve.js";
import { ErrorKind, type GatewayError } from "../errors/gateway-error.js";
import { kindName } from "../errors/status.js";
import type { Clock } from "../util/clock.js";
import type { DeploymentStateStore, DeploymentStats } from "./state/state-store.js";

/** Kinds a caller can provoke through options.provider_options even though they usually mean a broken deployment. */
const CALLER_SHAPEABLE_KINDS: ReadonlySet<ErrorKind> = new Set([ErrorKind.NOT_FOUND, ErrorKind.BAD_RESPONSE]);

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
   * Counts a failed call against the deployment, when the failure is the
   * deployment's fault (see isDeploymentFault). A request's own fault
   * never counts: not in the failure window, and not as a failed half-open
   * trial either; a trial the upstream answered with a request error
   * proved the deployment reachable and closes the circuit.
   */
  async onFailure(deploymentId: string, error: GatewayError, wasTrial: boolean, callerShapedBody = false): Promise<void> {
    if (!this.isDeploymentFault(error, callerShapedBody)) {
      if (wasTrial && error.httpStatus !== undefined) await this.store.recover(deploymentId);
      return;
    }
    const message = describe(error);
    if (wasTrial) return this.store.coolDown(deploymentId, this.clock.now() + this.settings.cooldownTimeMs, message);
    const allowed = this.settings.allowedFailsByKind.get(error.kind)!;
    const failures = await this.store.recordFailure(deploymentId, message, this.settings.failureWindowMs);
    if (failures >= allowed) await this.store.coolDown(deploymentId, this.clock.now() + this.settings.cooldownTimeMs, message);
  }

  /**
   * Deployment faults are the kinds in allowed_fails_policy: connection
   * errors and 5xx (UPSTREAM_UNAVAILABLE), timeouts, 429, 401, 404 and
   * answers we cannot read. Invalid request, context window, content
   * policy, permission and cancellation are the request's. Two kinds are
   * ambiguous and decided by what the request carried: a 404 or an
   * unreadable answer can only come from the deployment's own settings
   * (its model, base URL, API version) when the upstream body was built
   * from the unified request alone; once the caller added
   * options.provider_options to that body (e.g. a file or prompt id that
   * does not exist, an output format we cannot parse) the caller may have
   * caused it, so it does not count.
   */
  isDeploymentFault(error: GatewayError, callerShapedBody: boolean): boolean {
    if (!this.settings.allowedFailsByKind.has(error.kind)) return false;
    if (callerShapedBody && CALLER_SHAPEABLE_KINDS.has(error.kind)) return false;
    return true;
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

import { create } from "@bufbuild/protobuf";
import {
  DeploymentAction,
  SetDeploymentStateResponseSchema,
  type SetDeploymentStateRequest,
  type SetDeploymentStateResponse,
} from "../../gen/ts/switchyard/v1/admin_pb.js";
import { ErrorKind } from "../../gen/ts/switchyard/v1/inference_pb.js";
import type { ResolvedConfig } from "../config/resolve.js";
import { GatewayError } from "../errors/gateway-error.js";
import type { Clock } from "../util/clock.js";
import { deploymentState } from "./router-state.js";
import type { DeploymentStateStore } from "./state/state-store.js";

/**
 * AdminService.SetDeploymentState: drain / resume a deployment, clear or
 * force its cooldown. Changes go to the state store, so with Redis every
 * gateway instance sees them on its next pick.
 */
export function deploymentController(currentConfig: () => ResolvedConfig, store: DeploymentStateStore, clock: Clock) {
  return async (request: SetDeploymentStateRequest): Promise<SetDeploymentStateResponse> => {
    const config = currentConfig();
    const deployment = config.deployments.find((d) => d.id === request.deploymentId);
    if (!deployment) {
      throw new GatewayError(ErrorKind.NOT_FOUND, `deployment_id "${request.deploymentId}" is not a deployment on this gateway`, { field: "deployment_id" });
    }
    const id = deployment.id;
    switch (request.action) {
      case DeploymentAction.DRAIN:
        await store.setDrained(id, true);
        break;
      case DeploymentAction.RESUME:
        await store.setDrained(id, false);
        break;
      case DeploymentAction.CLEAR_COOLDOWN:
        await store.recover(id);
        break;
      case DeploymentAction.FORCE_COOLDOWN:
        await store.coolDown(id, clock.now() + (request.cooldownMs ?? config.router.cooldownTimeMs), "cooled down by an operator (SetDeploymentState)");
        break;
      default:
        throw new GatewayError(ErrorKind.INVALID_REQUEST, "action: one of DRAIN, RESUME, CLEAR_COOLDOWN, FORCE_COOLDOWN", { field: "action" });
    }
    const stats = await store.stats([id]);
    return create(SetDeploymentStateResponseSchema, { deployment: deploymentState(deployment, stats.get(id)!, clock.now()) });
  };
}

import { create } from "@bufbuild/protobuf";
import {
  CompletionRequestSchema,
  EmbeddingRequestSchema,
  ModerationRequestSchema,
} from "../../gen/ts/switchyard/v1/inference_pb.js";
import type { ResolvedDeployment } from "../config/resolve.js";
import { isGatewayError } from "../errors/gateway-error.js";
import { kindName } from "../errors/status.js";
import type { Logger } from "../observability/logger.js";
import { clockTimeout, type Clock } from "../util/clock.js";
import { redactSecrets } from "../util/redact.js";
import type { DeploymentRuntime } from "./deployment-runtime.js";
import type { DeploymentStateStore } from "./state/state-store.js";

export interface HealthCheckSettings {
  readonly intervalMs: number;
  readonly timeoutMs: number;
}

/**
 * Optional background probes: every interval, each deployment gets the
 * cheapest call it supports (a one-token completion, else a one-word
 * embedding, else a moderation); the result marks it healthy or unhealthy
 * in the same state store the router filters on. Image-only deployments
 * are not probed (no cheap call exists).
 */
export class HealthChecker {
  private readonly stopped = new AbortController();
  private started = false;

  constructor(
    private readonly runtime: DeploymentRuntime,
    private readonly store: DeploymentStateStore,
    private readonly clock: Clock,
    private readonly settings: HealthCheckSettings,
    private readonly logger: Logger,
  ) {}

  /** Begins probing every deployment; once only, and not after stop(). */
  start(): void {
    if (this.started || this.stopped.signal.aborted) return;
    this.started = true;
    for (const deployment of this.runtime.config.deployments) void this.loop(deployment);
  }

  stop(): void {
    this.stopped.abort();
  }

  /** One probe of one deployment; true when it answered. */
  async check(deployment: ResolvedDeployment): Promise<boolean> {
    const timeout = clockTimeout(this.clock, this.settings.timeoutMs, () => new Error(`health check timed out after ${this.settings.timeoutMs} ms`));
    const signal = AbortSignal.any([timeout.signal, this.stopped.signal]);
    try {
      const probed = await probe(this.runtime, deployment, signal);
      if (probed) await this.store.setHealth(deployment.id, true, "");
      return true;
    } catch (err) {
      if (this.stopped.signal.aborted) return false;
      const reason = signal.aborted ? signal.reason : err;
      const message = isGatewayError(reason) ? `${kindName(reason.kind)}: ${reason.message}` : String((reason as Error)?.message ?? reason);
      this.logger.warn({ deployment: deployment.id, err: redactSecrets(message) }, "health check failed");
      await this.store.setHealth(deployment.id, false, `health check: ${redactSecrets(message)}`);
      return false;
    } finally {
      timeout.cancel();
    }
  }

  private async loop(deployment: ResolvedDeployment): Promise<void> {
    while (!this.stopped.signal.aborted) {
      await this.check(deployment);
      try {
        await this.clock.sleep(this.settings.intervalMs, this.stopped.signal);
      } catch {
        return;
      }
    }
  }
}

/** The cheapest call the deployment supports; false when it has none worth probing. */
async function probe(runtime: DeploymentRuntime, deployment: ResolvedDeployment, signal: AbortSignal): Promise<boolean> {
  const model = deployment.modelGroup;
  const complete = runtime.call("complete", deployment);
  if (complete) {
    await complete(create(CompletionRequestSchema, { model, messages: [{ role: "user", content: "ping" }], maxTokens: 1 }), { signal });
    return true;
  }
  const embed = runtime.call("embed", deployment);
  if (embed) {
    await embed(create(EmbeddingRequestSchema, { model, input: ["ping"] }), { signal });
    return true;
  }
  const moderate = runtime.call("moderate", deployment);
  if (moderate) {
    await moderate(create(ModerationRequestSchema, { model, input: ["ping"] }), { signal });
    return true;
  }
  return false;
}

import { ErrorKind } from "../../gen/ts/switchyard/v1/inference_pb.js";
import type { ResolvedDeployment } from "../config/resolve.js";
import { GatewayError } from "../errors/gateway-error.js";
import type { Candidate } from "./strategy.js";
import { MINUTE_MS, type DeploymentStats, type Lease } from "./state/state-store.js";

export interface EligibilityQuery {
  group: string;
  deployments: readonly ResolvedDeployment[];
  stats: ReadonlyMap<string, DeploymentStats>;
  nowMs: number;
  /** Estimated prompt tokens; 0 skips the context-window check. */
  promptTokens: number;
}

export interface Eligible extends Candidate {
  /** Its cooldown is over but it has not recovered: calling it is the half-open trial. */
  readonly trial: boolean;
  /** The call already begun on it: a max_parallel_requests slot claimed when it was picked (Router.choose). */
  readonly lease?: Lease;
}

/**
 * The deployments of a group that may take a call now: healthy, not
 * cooling down (or half-open with no trial running), under max_parallel_
 * requests and this minute's rpm/tpm, and with a context window that fits
 * the prompt. When none is left, the error says why for each, and is a
 * context-window error when the prompt is what ruled them all out (so
 * context_window_fallbacks apply).
 */
export function eligibleDeployments(query: EligibilityQuery): Eligible[] {
  const eligible: Eligible[] = [];
  const reasons: string[] = [];
  let tooLong = 0;
  let largestWindow = 0;
  let soonestMs = Number.POSITIVE_INFINITY;
  for (const deployment of query.deployments) {
    const stats = query.stats.get(deployment.id)!;
    const excluded = exclusion(deployment, stats, query);
    if (excluded === "context") {
      tooLong++;
      largestWindow = Math.max(largestWindow, deployment.maxInputTokens ?? 0);
    } else if (excluded) {
      reasons.push(`${deployment.id} ${excluded.why}`);
      soonestMs = Math.min(soonestMs, excluded.freesAtMs);
    } else {
      eligible.push({ deployment, stats, trial: stats.tripped });
    }
  }
  if (eligible.length > 0) return eligible;
  if (tooLong === query.deployments.length) {
    throw new GatewayError(
      ErrorKind.CONTEXT_WINDOW_EXCEEDED,
      `the prompt (about ${query.promptTokens} tokens) exceeds the context window of every deployment of "${query.group}" (largest ${largestWindow} tokens)`,
      { field: "messages" },
    );
  }
  if (tooLong > 0) reasons.push(`${tooLong} with too small a context window`);
  // When the soonest of them is known (a cooldown, a trial, a minute's quota), say so: clients (and the OpenAI SDKs, via retry-after) wait that long instead of guessing.
  const retryAfterMs = Number.isFinite(soonestMs) ? Math.max(1, Math.ceil(soonestMs - query.nowMs)) : undefined;
  throw new GatewayError(ErrorKind.NO_DEPLOYMENT_AVAILABLE, `no deployment of "${query.group}" is available: ${reasons.join("; ")}`, { retryAfterMs });
}

/** Why a deployment takes no call now; `atLimit` when a limit that frees with time or calls ending is all that stops it. */
export interface Exclusion {
  readonly why: string;
  /** When its state says it takes calls again; Infinity when only an event frees it. */
  readonly freesAtMs: number;
  readonly atLimit: boolean;
}

/**
 * Why a deployment takes no call now, and when its state says it will
 * again: the end of its cooldown or trial, or the next clock minute for an
 * rpm/tpm quota; Infinity when only an event frees it (health checks
 * passing, an undrain, a call ending under max_parallel_requests).
 * "context" when only the prompt's size rules it out (never with a
 * promptTokens of 0); undefined when it is eligible. The order of the
 * checks is the order reasons are reported in.
 */
export function exclusion(d: ResolvedDeployment, s: DeploymentStats, q: Pick<EligibilityQuery, "nowMs" | "promptTokens">): Exclusion | "context" | undefined {
  const never = Number.POSITIVE_INFINITY;
  const nextMinuteMs = (Math.floor(q.nowMs / MINUTE_MS) + 1) * MINUTE_MS;
  if (s.unhealthy) return { why: "is failing health checks", freesAtMs: never, atLimit: false };
  if (s.drained) return { why: "is drained", freesAtMs: never, atLimit: false };
  if (s.cooldownUntilMs > q.nowMs) return { why: `is cooling down until ${new Date(s.cooldownUntilMs).toISOString()}`, freesAtMs: s.cooldownUntilMs, atLimit: false };
  if (s.tripped && s.trialUntilMs > q.nowMs) return { why: "is half-open with a trial call running", freesAtMs: s.trialUntilMs, atLimit: false };
  if (d.maxParallelRequests !== undefined && s.inFlight >= d.maxParallelRequests) {
    return { why: `has ${s.inFlight} requests in flight (max_parallel_requests ${d.maxParallelRequests})`, freesAtMs: never, atLimit: true };
  }
  if (d.rpmLimit !== undefined && s.rpm >= d.rpmLimit) return { why: `reached its rpm limit (${d.rpmLimit})`, freesAtMs: nextMinuteMs, atLimit: true };
  if (d.tpmLimit !== undefined && s.tpm >= d.tpmLimit) return { why: `reached its tpm limit (${d.tpmLimit})`, freesAtMs: nextMinuteMs, atLimit: true };
  if (q.promptTokens > 0 && d.maxInputTokens !== undefined && q.promptTokens > d.maxInputTokens) return "context";
  return undefined;
}

/**
 * A deployment list's limits as numbers (Infinity when unset), read once
 * per list so the per-pick check is a few comparisons per deployment.
 */
export class ListLimits {
  readonly maxParallel: Float64Array;
  readonly rpm: Float64Array;
  readonly tpm: Float64Array;
  readonly maxInputTokens: Float64Array;
  /** Whether any deployment of the list sets max_parallel_requests: only then must a pick read in-flight counts for eligibility. */
  readonly anyMaxParallel: boolean;

  constructor(deployments: readonly ResolvedDeployment[]) {
    const limit = (pick: (d: ResolvedDeployment) => number | undefined) => Float64Array.from(deployments, (d) => pick(d) ?? Infinity);
    this.maxParallel = limit((d) => d.maxParallelRequests);
    this.rpm = limit((d) => d.rpmLimit);
    this.tpm = limit((d) => d.tpmLimit);
    this.maxInputTokens = limit((d) => d.maxInputTokens);
    this.anyMaxParallel = this.maxParallel.some((l) => l !== Infinity);
  }
}

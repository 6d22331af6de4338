import type { ResolvedDeployment } from "../config/resolve.js";
import type { DeploymentStats } from "./state/state-store.js";

/** One eligible deployment with its live stats, as a strategy sees it. */
export interface Candidate {
  readonly deployment: ResolvedDeployment;
  readonly stats: DeploymentStats;
}

/** What a strategy may weigh about the request itself. */
export interface PickRequest {
  /** Streams are judged by time to first token, unary calls by latency per token. */
  readonly streaming: boolean;
  /** Estimated prompt tokens (src/util/tokens.ts), 0 when not a completion. */
  readonly promptTokens: number;
  /** Expected completion tokens: the request's max_tokens, or a typical answer length. */
  readonly completionTokens: number;
}

/**
 * The seam for routing strategies: given the eligible deployments (already
 * filtered for capability, tags, health, cooldown, limits and context
 * window, never empty) and their live stats, return one. Strategies read
 * stats; they never own or change them.
 */
export interface RoutingStrategy {
  readonly name: string;
  pick(candidates: readonly Candidate[], request: PickRequest): ResolvedDeployment;
}

/** Uniform choice among the candidates sharing the best score: spreads ties instead of always hitting the first. */
export function pickLowest(candidates: readonly Candidate[], score: (c: Candidate) => number, random: () => number): ResolvedDeployment {
  let best = Infinity;
  let tied: Candidate[] = [];
  for (const candidate of candidates) {
    const s = score(candidate);
    if (s < best) {
      best = s;
      tied = [candidate];
    } else if (s === best) {
      tied.push(candidate);
    }
  }
  if (tied.length === 0) tied = [...candidates];
  return tied[Math.floor(random() * tied.length)]!.deployment;
}

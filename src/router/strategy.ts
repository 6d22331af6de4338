import type { ResolvedDeployment } from "../config/resolve.js";
import type { Random } from "../util/random.js";

/**
 * The seam for routing strategies: given the eligible deployments (already
 * filtered for capability, tags, health and limits), return one.
 * Strategies read live stats; they never own them.
 */
export interface RoutingStrategy {
  pick(candidates: readonly ResolvedDeployment[]): ResolvedDeployment;
}

/** Random choice weighted by each deployment's `weight`. */
export class SimpleShuffle implements RoutingStrategy {
  constructor(private readonly random: Random = Math.random) {}

  pick(candidates: readonly ResolvedDeployment[]): ResolvedDeployment {
    if (candidates.length === 1) return candidates[0]!;
    let total = 0;
    for (const d of candidates) total += d.weight;
    if (total <= 0) return candidates[Math.floor(this.random() * candidates.length)]!;
    let roll = this.random() * total;
    for (const d of candidates) {
      roll -= d.weight;
      if (roll < 0) return d;
    }
    return candidates[candidates.length - 1]!;
  }
}

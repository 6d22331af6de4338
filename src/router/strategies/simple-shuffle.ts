import type { ResolvedDeployment } from "../../config/resolve.js";
import type { Random } from "../../util/random.js";
import type { Candidate, RoutingStrategy } from "../strategy.js";

/**
 * Random choice weighted by `weight`; when no candidate sets a weight, by
 * its rpm limit, else its tpm limit (a bigger quota takes a bigger share);
 * uniform when none of those are set. A candidate lacking the chosen field
 * counts as the average of those that have it.
 */
export class SimpleShuffle implements RoutingStrategy {
  readonly name = "simple-shuffle";

  constructor(private readonly random: Random) {}

  pick(candidates: readonly Candidate[]): ResolvedDeployment {
    if (candidates.length === 1) return candidates[0]!.deployment;
    const weights = shuffleWeights(candidates.map((c) => c.deployment));
    const total = weights.reduce((sum, w) => sum + w, 0);
    if (total <= 0) return candidates[Math.floor(this.random() * candidates.length)]!.deployment;
    let roll = this.random() * total;
    for (const [i, candidate] of candidates.entries()) {
      roll -= weights[i]!;
      if (roll < 0) return candidate.deployment;
    }
    return candidates[candidates.length - 1]!.deployment;
  }
}

export function shuffleWeights(deployments: readonly ResolvedDeployment[]): number[] {
  const sources: Array<(d: ResolvedDeployment) => number | undefined> = [(d) => d.config.weight, (d) => d.rpmLimit, (d) => d.tpmLimit];
  for (const source of sources) {
    const values = deployments.map(source);
    const known = values.filter((v): v is number => v !== undefined);
    if (known.length === 0) continue;
    const average = known.reduce((sum, v) => sum + v, 0) / known.length;
    return values.map((v) => v ?? average);
  }
  return deployments.map(() => 1);
}

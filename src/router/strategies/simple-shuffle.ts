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
    // Two passes, no arrays: this runs per request over groups of up to thousands of deployments.
    const source = weightSource(candidates);
    let total = 0;
    for (const c of candidates) total += source.weightOf(c.deployment);
    if (total <= 0) return candidates[Math.floor(this.random() * candidates.length)]!.deployment;
    let roll = this.random() * total;
    for (const candidate of candidates) {
      roll -= source.weightOf(candidate.deployment);
      if (roll < 0) return candidate.deployment;
    }
    return candidates[candidates.length - 1]!.deployment;
  }
}

const SOURCES: ReadonlyArray<(d: ResolvedDeployment) => number | undefined> = [(d) => d.config.weight, (d) => d.rpmLimit, (d) => d.tpmLimit];

/** The first of weight, rpm, tpm that any candidate sets, with the average standing in for those that do not. */
function weightSource(candidates: readonly Candidate[]): { weightOf(d: ResolvedDeployment): number } {
  for (const source of SOURCES) {
    let sum = 0;
    let known = 0;
    for (const c of candidates) {
      const v = source(c.deployment);
      if (v !== undefined) {
        sum += v;
        known++;
      }
    }
    if (known === 0) continue;
    const average = sum / known;
    return { weightOf: (d) => source(d) ?? average };
  }
  return { weightOf: () => 1 };
}

/** Each deployment's share under simple-shuffle's rule (weight, else rpm, else tpm, else equal). */
export function shuffleWeights(deployments: readonly ResolvedDeployment[]): number[] {
  const source = weightSource(deployments.map((deployment) => ({ deployment }) as Candidate));
  return deployments.map((d) => source.weightOf(d));
}

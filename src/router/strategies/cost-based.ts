import type { ResolvedDeployment } from "../../config/resolve.js";
import type { Random } from "../../util/random.js";
import { lowestAt, PerList, pickByChoose, type Candidate, type CandidateSet, type IndexedStrategy, type PickRequest } from "../strategy.js";

/**
 * Cheapest expected cost of this request: estimated prompt tokens times
 * the input price plus expected completion tokens times the output price
 * (prices from the deployment's config or its provider's price table).
 * Ties, e.g. several free deployments, are broken at random.
 */
export class CostBased implements IndexedStrategy {
  readonly name = "cost-based";

  /** Prices per list position, read once per list. */
  private readonly prices = new PerList((deployments) => ({
    input: Float64Array.from(deployments, (d) => d.inputCostPerToken),
    output: Float64Array.from(deployments, (d) => d.outputCostPerToken),
  }));

  constructor(private readonly random: Random) {}

  pick(candidates: readonly Candidate[], request: PickRequest): ResolvedDeployment {
    return pickByChoose(this, candidates, request);
  }

  choose(set: CandidateSet, request: PickRequest): number {
    const scores = set.scores;
    const { input, output } = this.prices.of(set.list);
    // expectedCostUsd over the arrays: the same arithmetic in the same order, so the same ties.
    const prompt = Math.max(1, request.promptTokens);
    const completion = Math.max(1, request.completionTokens);
    const positions = set.positions;
    for (let k = 0; k < set.size; k++) {
      const p = positions[k]!;
      scores[p] = prompt * input[p]! + completion * output[p]!;
    }
    return lowestAt(scores, positions, set.size, this.random, set.ties);
  }
}

export function expectedCostUsd(deployment: ResolvedDeployment, request: PickRequest): number {
  // At least one token each way, so per-token prices still rank deployments for calls with no estimate.
  const prompt = Math.max(1, request.promptTokens);
  const completion = Math.max(1, request.completionTokens);
  return prompt * deployment.inputCostPerToken + completion * deployment.outputCostPerToken;
}

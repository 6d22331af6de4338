import type { ResolvedDeployment } from "../../config/resolve.js";
import type { Random } from "../../util/random.js";
import { PerList, pickByChoose, type Candidate, type CandidateSet, type IndexedStrategy, type PickRequest } from "../strategy.js";

/**
 * Lowest use of this minute's quota: the larger of rpm/rpm_limit and
 * (tpm + this request's tokens)/tpm_limit. Deployments already at a limit
 * never get here (the eligibility filter drops them). Deployments without
 * limits have no quota to measure, so among them the one with the fewest
 * tokens this minute wins; a limited deployment with headroom is compared
 * by its share used, an unlimited one counts as 0% used.
 */
export class UsageBased implements IndexedStrategy {
  readonly name = "usage-based";

  /** rpm and tpm limits per list position; Infinity where unset (or 0), so the share divides to 0 exactly as "no quota". */
  private readonly quotas = new PerList((deployments) => ({
    rpm: Float64Array.from(deployments, (d) => d.rpmLimit || Infinity),
    tpm: Float64Array.from(deployments, (d) => d.tpmLimit || Infinity),
  }));

  constructor(private readonly random: Random) {}

  pick(candidates: readonly Candidate[], request: PickRequest): ResolvedDeployment {
    return pickByChoose(this, candidates, request);
  }

  choose(set: CandidateSet, request: PickRequest): number {
    const tokens = request.promptTokens + request.completionTokens;
    const n = set.size;
    const { rpm, tpm } = this.quotas.of(set.list);
    const ties = set.ties;
    const { positions, rpms, tpms, scores: shares } = set;
    // Shares first, in a loop with nothing carried between iterations, so the divisions overlap.
    for (let k = 0; k < n; k++) {
      const p = positions[k]!;
      shares[k] = Math.max((rpms[p]! + 1) / rpm[p]!, (tpms[p]! + tokens) / tpm[p]!);
    }
    // Then one pass for the lowest (share, tokens this minute) pair: lowest share first, then the fewest tokens among those at it.
    let lowestShare = Infinity;
    let fewestTokens = Infinity;
    let tied = 0;
    for (let k = 0; k < n; k++) {
      const share = shares[k]!;
      if (!(share <= lowestShare)) continue; // above the lowest (or NaN)
      const used = tpms[positions[k]!]!;
      if (share < lowestShare || used < fewestTokens) {
        lowestShare = share;
        fewestTokens = used;
        ties[0] = k;
        tied = 1;
      } else if (used === fewestTokens) {
        ties[tied++] = k;
      }
    }
    return tied === 0 ? Math.floor(this.random() * n) : ties[Math.floor(this.random() * tied)]!;
  }
}

import type { ResolvedDeployment } from "../../config/resolve.js";
import type { Random } from "../../util/random.js";
import { lowestOf, PerList, pickByChoose, type Candidate, type CandidateSet, type IndexedStrategy, type PickRequest } from "../strategy.js";

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
    const scores = set.scores;
    let lowestShare = Infinity;
    const quotas = this.quotas.of(set.list);
    for (let k = 0; k < n; k++) {
      const p = set.positions[k]!;
      const rpmShare = (set.rpm(k) + 1) / quotas.rpm[p]!;
      const tpmShare = (set.tpm(k) + tokens) / quotas.tpm[p]!;
      const share = Math.max(rpmShare, tpmShare);
      scores[k] = share;
      if (share < lowestShare) lowestShare = share;
    }
    // Among those at the lowest share, the fewest tokens this minute; the others score +Infinity and never win.
    for (let k = 0; k < n; k++) scores[k] = scores[k] === lowestShare ? set.tpm(k) : Infinity;
    return lowestOf(scores, n, this.random, set.ties);
  }
}

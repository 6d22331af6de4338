import type { ResolvedDeployment } from "../../config/resolve.js";
import type { Random } from "../../util/random.js";
import { pickLowest, type Candidate, type PickRequest, type RoutingStrategy } from "../strategy.js";

/**
 * Lowest use of this minute's quota: the larger of rpm/rpm_limit and
 * (tpm + this request's tokens)/tpm_limit. Deployments already at a limit
 * never get here (the eligibility filter drops them). Deployments without
 * limits have no quota to measure, so among them the one with the fewest
 * tokens this minute wins; a limited deployment with headroom is compared
 * by its share used, an unlimited one counts as 0% used.
 */
export class UsageBased implements RoutingStrategy {
  readonly name = "usage-based";

  constructor(private readonly random: Random) {}

  pick(candidates: readonly Candidate[], request: PickRequest): ResolvedDeployment {
    const tokens = request.promptTokens + request.completionTokens;
    const shareUsed = (c: Candidate) => {
      const { rpmLimit, tpmLimit } = c.deployment;
      const rpmShare = rpmLimit ? (c.stats.rpm + 1) / rpmLimit : 0;
      const tpmShare = tpmLimit ? (c.stats.tpm + tokens) / tpmLimit : 0;
      return Math.max(rpmShare, tpmShare);
    };
    const lowestShare = Math.min(...candidates.map(shareUsed));
    const atLowest = candidates.filter((c) => shareUsed(c) === lowestShare);
    return pickLowest(atLowest, (c) => c.stats.tpm, this.random);
  }
}

import type { ResolvedDeployment } from "../../config/resolve.js";
import type { Random } from "../../util/random.js";
import { pickLowest, type Candidate, type RoutingStrategy } from "../strategy.js";

/** Fewest requests in flight (across the fleet when state is shared); ties broken at random. */
export class LeastBusy implements RoutingStrategy {
  readonly name = "least-busy";

  constructor(private readonly random: Random) {}

  pick(candidates: readonly Candidate[]): ResolvedDeployment {
    return pickLowest(candidates, (c) => c.stats.inFlight, this.random);
  }
}

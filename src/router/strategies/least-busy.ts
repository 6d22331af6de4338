import type { ResolvedDeployment } from "../../config/resolve.js";
import type { Random } from "../../util/random.js";
import { lowestAt, pickByChoose, type Candidate, type CandidateSet, type IndexedStrategy, type PickRequest } from "../strategy.js";

/** Fewest requests in flight (across the fleet when state is shared); ties broken at random. */
export class LeastBusy implements IndexedStrategy {
  readonly name = "least-busy";
  readonly readsInFlight = true;

  constructor(private readonly random: Random) {}

  pick(candidates: readonly Candidate[], request: PickRequest): ResolvedDeployment {
    return pickByChoose(this, candidates, request);
  }

  choose(set: CandidateSet): number {
    return lowestAt(set.inFlights, set.positions, set.size, this.random, set.ties);
  }
}

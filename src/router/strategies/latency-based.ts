import type { ResolvedDeployment } from "../../config/resolve.js";
import type { Random } from "../../util/random.js";
import { pickByChoose, type Candidate, type CandidateSet, type IndexedStrategy, type PickRequest } from "../strategy.js";

/**
 * Lowest recent latency: time to first token for streams, latency per
 * completion token for unary calls (both moving averages in the state
 * store, so old samples decay). Deployments within `bufferRatio` of the
 * fastest are picked among at random, so near-ties share the load instead
 * of one deployment taking everything. A deployment with no samples yet is
 * tried first, so every deployment gets measured.
 */
export class LatencyBased implements IndexedStrategy {
  readonly name = "latency-based";

  constructor(
    private readonly random: Random,
    private readonly bufferRatio: number,
  ) {}

  pick(candidates: readonly Candidate[], request: PickRequest): ResolvedDeployment {
    return pickByChoose(this, candidates, request);
  }

  choose(set: CandidateSet, request: PickRequest): number {
    const n = set.size;
    const latency = set.scores;
    const byPosition = set.latencies(request.streaming);
    const positions = set.positions;
    let unmeasured = 0;
    let fastest = Infinity;
    for (let k = 0; k < n; k++) {
      const ms = byPosition[positions[k]!]!;
      latency[k] = ms;
      if (Number.isNaN(ms)) unmeasured++;
      else if (ms < fastest) fastest = ms;
    }
    if (unmeasured > 0) {
      let nth = Math.floor(this.random() * unmeasured);
      for (let k = 0; k < n; k++) if (Number.isNaN(latency[k]!) && nth-- === 0) return k;
      return n - 1; // unreachable: `unmeasured` counted them
    }
    const limit = fastest * (1 + this.bufferRatio);
    const near = set.ties;
    let count = 0;
    for (let k = 0; k < n; k++) if (latency[k]! <= limit) near[count++] = k;
    return near[Math.floor(this.random() * count)]!;
  }
}

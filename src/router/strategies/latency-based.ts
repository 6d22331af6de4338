import type { ResolvedDeployment } from "../../config/resolve.js";
import type { Random } from "../../util/random.js";
import type { Candidate, PickRequest, RoutingStrategy } from "../strategy.js";

/**
 * Lowest recent latency: time to first token for streams, latency per
 * completion token for unary calls (both moving averages in the state
 * store, so old samples decay). Deployments within `bufferRatio` of the
 * fastest are picked among at random, so near-ties share the load instead
 * of one deployment taking everything. A deployment with no samples yet is
 * tried first, so every deployment gets measured.
 */
export class LatencyBased implements RoutingStrategy {
  readonly name = "latency-based";

  constructor(
    private readonly random: Random,
    private readonly bufferRatio: number,
  ) {}

  pick(candidates: readonly Candidate[], request: PickRequest): ResolvedDeployment {
    const latency = (c: Candidate) => (request.streaming ? c.stats.ttftMs : c.stats.latencyPerTokenMs);
    const unmeasured = candidates.filter((c) => latency(c) === undefined);
    if (unmeasured.length > 0) return unmeasured[Math.floor(this.random() * unmeasured.length)]!.deployment;
    const fastest = Math.min(...candidates.map((c) => latency(c)!));
    const nearFastest = candidates.filter((c) => latency(c)! <= fastest * (1 + this.bufferRatio));
    return nearFastest[Math.floor(this.random() * nearFastest.length)]!.deployment;
  }
}

import { RoutingStrategy as StrategyKind } from "../../../gen/ts/switchyard/v1/config_pb.js";
import type { RouterDefaults } from "../../config/resolve.js";
import type { Random } from "../../util/random.js";
import type { RoutingStrategy } from "../strategy.js";
import { CostBased } from "./cost-based.js";
import { LatencyBased } from "./latency-based.js";
import { LeastBusy } from "./least-busy.js";
import { SimpleShuffle } from "./simple-shuffle.js";
import { UsageBased } from "./usage-based.js";

export { CostBased, LatencyBased, LeastBusy, SimpleShuffle, UsageBased };

/** The strategy `router_settings.routing_strategy` names. */
export function strategyFor(settings: RouterDefaults, random: Random): RoutingStrategy {
  switch (settings.strategy) {
    case StrategyKind.LEAST_BUSY:
      return new LeastBusy(random);
    case StrategyKind.USAGE_BASED:
      return new UsageBased(random);
    case StrategyKind.LATENCY_BASED:
      return new LatencyBased(random, settings.latencyBufferRatio);
    case StrategyKind.COST_BASED:
      return new CostBased(random);
    default:
      return new SimpleShuffle(random);
  }
}

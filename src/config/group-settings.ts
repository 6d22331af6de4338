import type { RouterConfig } from "../../gen/ts/switchyard/v1/config_pb.js";
import { DEFAULTS } from "./defaults.js";
import type { PathSegments, SemanticProblem } from "./problems.js";
import type { GroupRouting, RouterDefaults } from "./resolved.js";

export type { AffinityPolicy, GroupRouting, HedgePolicy } from "./resolved.js";

type GroupSettings = NonNullable<RouterConfig["routerSettings"]>["modelGroupSettings"][number];

/** Resolves router_settings.model_group_settings once at load; groups without an entry get `defaults` as they are. */
export function resolveGroupRouting(config: RouterConfig, defaults: RouterDefaults): Map<string, GroupRouting> {
  const groups = new Map<string, GroupRouting>();
  for (const name of new Set(config.modelList.map((d) => d.modelName))) groups.set(name, { router: defaults });
  for (const settings of config.routerSettings?.modelGroupSettings ?? []) {
    groups.set(settings.model, groupRouting(settings, defaults));
  }
  return groups;
}

function groupRouting(s: GroupSettings, defaults: RouterDefaults): GroupRouting {
  const router: RouterDefaults = {
    ...defaults,
    strategy: s.routingStrategy || defaults.strategy,
    numRetries: s.numRetries ?? defaults.numRetries,
  };
  const hedge = s.hedge && (s.hedge.afterMs !== undefined || s.hedge.afterLatencyPercentile !== undefined)
    ? { afterMs: s.hedge.afterMs, afterPercentile: s.hedge.afterLatencyPercentile, maxHedges: s.hedge.maxHedges ?? DEFAULTS.modelGroup.maxHedges }
    : undefined;
  const affinity = s.affinity?.enabled ? { prefixMessages: s.affinity.prefixMessages ?? DEFAULTS.modelGroup.affinityPrefixMessages } : undefined;
  return { router, hedge, affinity };
}

/** validate-config checks of model_group_settings, each naming its path. */
export function groupSettingsProblems(config: RouterConfig): SemanticProblem[] {
  const problems: SemanticProblem[] = [];
  const problem = (segments: PathSegments, message: string) => problems.push({ segments, message });
  const sizes = new Map<string, number>();
  for (const d of config.modelList) sizes.set(d.modelName, (sizes.get(d.modelName) ?? 0) + 1);
  const seen = new Map<string, number>();
  config.routerSettings?.modelGroupSettings.forEach((s, i) => {
    const at: PathSegments = ["router_settings", "model_group_settings", i];
    if (!s.model) {
      problem([...at, "model"], "is required (the model group these settings apply to)");
      return;
    }
    if (!sizes.has(s.model)) problem([...at, "model"], `"${s.model}" is not a model_name in model_list`);
    const previous = seen.get(s.model);
    if (previous !== undefined) problem([...at, "model"], `"${s.model}" already has settings at model_group_settings[${previous}]`);
    seen.set(s.model, i);
    const hedge = s.hedge;
    if (hedge) {
      const hasMs = hedge.afterMs !== undefined;
      const hasPercentile = hedge.afterLatencyPercentile !== undefined;
      if (hasMs && hasPercentile) problem([...at, "hedge"], "set after_ms or after_latency_percentile, not both");
      if (!hasMs && !hasPercentile) problem([...at, "hedge"], "needs after_ms or after_latency_percentile");
      if (hasPercentile && !(hedge.afterLatencyPercentile! > 0 && hedge.afterLatencyPercentile! < 100)) {
        problem([...at, "hedge", "after_latency_percentile"], `must be between 0 and 100 (exclusive), got ${hedge.afterLatencyPercentile}`);
      }
      if (hedge.maxHedges === 0) problem([...at, "hedge", "max_hedges"], "must be at least 1 (leave hedge out to disable hedging)");
      if ((sizes.get(s.model) ?? 0) === 1) problem([...at, "hedge"], `"${s.model}" has one deployment: a hedge needs another deployment to go to`);
    }
  });
  return problems;
}

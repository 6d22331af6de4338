import type { RouterConfig } from "../../gen/ts/switchyard/v1/config_pb.js";
import { authSettingsProblems } from "../auth/settings.js";
import type { ProviderRegistry } from "../providers/registry.js";
import { cacheSettingsProblems } from "./cache-settings.js";
import { DEFAULTS } from "./defaults.js";
import { groupSettingsProblems } from "./group-settings.js";
import type { PathSegments, SemanticProblem } from "./problems.js";

export type { PathSegments, SemanticProblem } from "./problems.js";

/**
 * Checks what the schema cannot express: references between fields,
 * required values and provider-specific params. Runs once at load.
 */
export function validateRouterConfig(config: RouterConfig, providers: ProviderRegistry): SemanticProblem[] {
  const problems: SemanticProblem[] = [];
  const problem = (segments: PathSegments, message: string) => problems.push({ segments, message });

  if (config.modelList.length === 0) problem(["model_list"], "at least one deployment is required");
  const groups = new Set(config.modelList.map((d) => d.modelName).filter(Boolean));
  const ids = new Map<string, number>();

  config.modelList.forEach((deployment, i) => {
    const at: PathSegments = ["model_list", i];
    if (!deployment.modelName) problem([...at, "model_name"], "is required (the model group callers ask for)");
    if (!deployment.provider) {
      problem([...at, "provider"], `is required; one of ${providers.names().join(", ")}`);
    } else {
      const factory = providers.get(deployment.provider);
      if (!factory) {
        problem([...at, "provider"], `unknown provider "${deployment.provider}"; one of ${providers.names().join(", ")}`);
      } else {
        for (const [field, message] of factory.validate?.(deployment) ?? []) problem([...at, "params", ...field.split(".")], message);
      }
    }
    if (deployment.id) {
      const previous = ids.get(deployment.id);
      if (previous !== undefined) problem([...at, "id"], `duplicate id "${deployment.id}" (also model_list[${previous}])`);
      ids.set(deployment.id, i);
    }
    if (deployment.weight !== undefined && deployment.weight < 0) problem([...at, "weight"], "must not be negative");
  });

  const settings = config.routerSettings;
  if (settings) {
    const lists = [
      ["fallbacks", settings.fallbacks],
      ["context_window_fallbacks", settings.contextWindowFallbacks],
      ["content_policy_fallbacks", settings.contentPolicyFallbacks],
    ] as const;
    for (const [name, fallbacks] of lists) {
      fallbacks.forEach((fallback, i) => {
        if (!groups.has(fallback.model)) problem(["router_settings", name, i, "model"], `"${fallback.model}" is not a model_name in model_list`);
        fallback.to.forEach((target, j) => {
          if (!groups.has(target)) problem(["router_settings", name, i, "to", j], `"${target}" is not a model_name in model_list`);
        });
      });
    }
    if (settings.latencyBufferRatio !== undefined && !(settings.latencyBufferRatio >= 0)) {
      problem(["router_settings", "latency_buffer_ratio"], `must be 0 or more (a fraction of the fastest latency), got ${settings.latencyBufferRatio}`);
    }
    if (settings.healthCheck?.enabled && settings.healthCheck.intervalMs === 0) {
      problem(["router_settings", "health_check", "interval_ms"], "must be more than 0 when health checks are enabled");
    }
    const backoff = settings.retryBackoffMs;
    const maxBackoff = settings.maxRetryBackoffMs;
    if (backoff !== undefined && maxBackoff !== undefined && maxBackoff < backoff) {
      problem(["router_settings", "max_retry_backoff_ms"], `must be at least retry_backoff_ms (${backoff})`);
    }
    if (settings.stateSyncMs !== undefined && settings.stateSyncMs > DEFAULTS.router.maxStateSyncMs) {
      problem(
        ["router_settings", "state_sync_ms"],
        `must be at most ${DEFAULTS.router.maxStateSyncMs} (one rpm/tpm minute), got ${settings.stateSyncMs}; 0 reads Redis on every pick`,
      );
    }
    settings.defaultFallbacks.forEach((target, i) => {
      if (!groups.has(target)) problem(["router_settings", "default_fallbacks", i], `"${target}" is not a model_name in model_list`);
    });
  }
  const port = config.serverSettings?.port;
  if (port !== undefined && port > 65535) problem(["server_settings", "port"], `${port} is not a TCP port (0..65535)`);
  config.redis?.clusterNodes.forEach((address, i) => {
    if (!/^[^\s:]+:\d{1,5}$/.test(address)) problem(["redis", "cluster_nodes", i], `"${address}" is not host:port`);
  });
  problems.push(...cacheSettingsProblems(config));
  problems.push(...authSettingsProblems(config));
  problems.push(...groupSettingsProblems(config));
  return problems;
}

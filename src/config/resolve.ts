import { RoutingStrategy, type Deployment, type RouterConfig } from "../../gen/ts/switchyard/v1/config_pb.js";
import type { ProviderAdapter, ProviderDeps } from "../providers/provider.js";
import type { ProviderRegistry } from "../providers/registry.js";

/** A deployment with its defaults applied and its adapter built: what the router works with. */
export interface ResolvedDeployment {
  readonly id: string;
  readonly modelGroup: string;
  readonly provider: string;
  readonly config: Deployment;
  readonly adapter: ProviderAdapter;
  readonly weight: number;
  readonly timeoutMs: number;
  readonly streamTimeoutMs: number;
  readonly tags: ReadonlySet<string>;
  /** US dollars per token. */
  readonly inputCostPerToken: number;
  readonly outputCostPerToken: number;
  readonly maxInputTokens?: number;
}

export interface RouterDefaults {
  readonly strategy: RoutingStrategy;
  readonly numRetries: number;
  readonly allowedFails: number;
  readonly cooldownTimeMs: number;
  readonly retryBackoffMs: number;
  readonly maxRetryBackoffMs: number;
  /** Model group → groups to try instead, in order. */
  readonly fallbacks: ReadonlyMap<string, readonly string[]>;
  readonly contextWindowFallbacks: ReadonlyMap<string, readonly string[]>;
  readonly contentPolicyFallbacks: ReadonlyMap<string, readonly string[]>;
  readonly defaultFallbacks: readonly string[];
}

export interface ServerDefaults {
  readonly port: number;
  readonly host: string;
  readonly maxRequestBytes: number;
  readonly shutdownGraceMs: number;
  readonly reflection: boolean;
}

/** The config turned, once at load, into the structures the hot path reads. */
export interface ResolvedConfig {
  readonly source: RouterConfig;
  readonly groups: ReadonlyMap<string, readonly ResolvedDeployment[]>;
  readonly deployments: readonly ResolvedDeployment[];
  readonly router: RouterDefaults;
  readonly server: ServerDefaults;
}

const DEFAULT_TIMEOUT_MS = 600_000;

export function resolveConfig(source: RouterConfig, providers: ProviderRegistry, deps: ProviderDeps): ResolvedConfig {
  const settings = source.routerSettings;
  const timeoutMs = settings?.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const streamTimeoutMs = settings?.streamTimeoutMs ?? timeoutMs;

  const groups = new Map<string, ResolvedDeployment[]>();
  const deployments = source.modelList.map((config) => {
    const group = groups.get(config.modelName) ?? [];
    groups.set(config.modelName, group);
    const factory = providers.get(config.provider);
    if (!factory) throw new Error(`provider "${config.provider}" is not registered`); // validate.ts reports this first
    const price = factory.prices?.[config.params?.model ?? ""];
    const deployment: ResolvedDeployment = {
      id: config.id || `${config.modelName}/${group.length}`,
      modelGroup: config.modelName,
      provider: config.provider,
      config,
      adapter: factory.create(config, deps),
      weight: config.weight ?? 1,
      timeoutMs: config.timeoutMs ?? timeoutMs,
      streamTimeoutMs: config.streamTimeoutMs ?? config.timeoutMs ?? streamTimeoutMs,
      tags: new Set(config.tags),
      inputCostPerToken: config.inputCostPerToken ?? price?.inputCostPerToken ?? 0,
      outputCostPerToken: config.outputCostPerToken ?? price?.outputCostPerToken ?? 0,
      maxInputTokens: config.maxInputTokens ?? price?.maxInputTokens,
    };
    group.push(deployment);
    return deployment;
  });

  const toMap = (list: ReadonlyArray<{ model: string; to: string[] }> = []) => new Map(list.map((f) => [f.model, f.to]));
  const server = source.serverSettings;
  return {
    source,
    groups,
    deployments,
    router: {
      strategy: settings?.routingStrategy || RoutingStrategy.SIMPLE_SHUFFLE,
      numRetries: settings?.numRetries ?? 2,
      allowedFails: settings?.allowedFails ?? 3,
      cooldownTimeMs: settings?.cooldownTimeMs ?? 60_000,
      retryBackoffMs: settings?.retryBackoffMs ?? 100,
      maxRetryBackoffMs: settings?.maxRetryBackoffMs ?? 5_000,
      fallbacks: toMap(settings?.fallbacks),
      contextWindowFallbacks: toMap(settings?.contextWindowFallbacks),
      contentPolicyFallbacks: toMap(settings?.contentPolicyFallbacks),
      defaultFallbacks: settings?.defaultFallbacks ?? [],
    },
    server: {
      port: server?.port ?? 4000,
      host: server?.host || "0.0.0.0",
      maxRequestBytes: server?.maxRequestBytes ?? 16 * 1024 * 1024,
      shutdownGraceMs: server?.shutdownGraceMs ?? 10_000,
      reflection: server?.reflection ?? true,
    },
  };
}

import { availableParallelism } from "node:os";
import { RoutingStrategy, type Deployment, type RouterConfig } from "../../gen/ts/switchyard/v1/config_pb.js";
import { ErrorKind } from "../../gen/ts/switchyard/v1/inference_pb.js";
import type { ProviderAdapter, ProviderDeps } from "../providers/provider.js";
import type { ProviderRegistry } from "../providers/registry.js";
import { resolveGroupRouting, type GroupRouting } from "./group-settings.js";

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
  /** US dollars per prompt token read from / written to the provider's prompt cache. */
  readonly cacheReadCostPerToken: number;
  readonly cacheWriteCostPerToken: number;
  readonly maxInputTokens?: number;
  /** Requests / tokens per minute this deployment allows; undefined = unlimited. */
  readonly rpmLimit?: number;
  readonly tpmLimit?: number;
  readonly maxParallelRequests?: number;
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
  /** Retries within a group per error kind (retry_policy); kinds absent here use numRetries or are never retried. */
  readonly retryPolicy: ReadonlyMap<ErrorKind, number>;
  /** Failures within failureWindowMs that cool a deployment down, per error kind (allowed_fails_policy + defaults). */
  readonly allowedFailsByKind: ReadonlyMap<ErrorKind, number>;
  readonly failureWindowMs: number;
  readonly latencyBufferRatio: number;
  /** Longest gap between streamed chunks, ms; undefined = each deployment's stream timeout. */
  readonly streamIdleTimeoutMs?: number;
  readonly healthCheck: { readonly enabled: boolean; readonly intervalMs: number; readonly timeoutMs: number };
}

/** The Redis connection shared router state (and the Redis cache layer) use. */
export interface RedisDefaults {
  /** redis://… URL built from url, or host/port/password. */
  readonly url: string;
  /** Redis Cluster seed nodes ("host:port"); when non-empty, url is unused. */
  readonly clusterNodes?: readonly string[];
  readonly keyPrefix: string;
  readonly commandTimeoutMs: number;
}

export interface ServerDefaults {
  readonly port: number;
  readonly host: string;
  readonly maxRequestBytes: number;
  readonly shutdownGraceMs: number;
  readonly reflection: boolean;
  /** Event loops serving the port (worker threads); 1 is the main thread alone. */
  readonly workers: number;
  readonly limits: RequestLimits;
  readonly connections: ConnectionLimits;
}

/** Shape limits checked before routing (README "Limits and hardening"). */
export interface RequestLimits {
  readonly maxMessages: number;
  readonly maxMessageBytes: number;
  readonly maxModelNameBytes: number;
}

export const DEFAULT_REQUEST_LIMITS: RequestLimits = { maxMessages: 2048, maxMessageBytes: 4 * 1024 * 1024, maxModelNameBytes: 256 };

/** Socket limits of the listening server. */
export interface ConnectionLimits {
  readonly firstRequestTimeoutMs: number;
  readonly http1IdleTimeoutMs: number;
  readonly http2IdleTimeoutMs: number;
  readonly maxConnections: number;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  firstRequestTimeoutMs: 30_000,
  http1IdleTimeoutMs: 65_000,
  http2IdleTimeoutMs: 300_000,
  maxConnections: 10_000,
};

/** The config turned, once at load, into the structures the hot path reads. */
export interface ResolvedConfig {
  readonly source: RouterConfig;
  readonly groups: ReadonlyMap<string, readonly ResolvedDeployment[]>;
  readonly deployments: readonly ResolvedDeployment[];
  readonly router: RouterDefaults;
  /** Every model group's routing: router_settings with its model_group_settings applied. */
  readonly groupRouting: ReadonlyMap<string, GroupRouting>;
  readonly server: ServerDefaults;
  /** Present when the config has a `redis` section with a url, host or cluster_nodes. */
  readonly redis?: RedisDefaults;
}

const DEFAULT_TIMEOUT_MS = 600_000;

export function resolveConfig(source: RouterConfig, providers: ProviderRegistry, deps: ProviderDeps): ResolvedConfig {
  const settings = source.routerSettings;
  const timeoutMs = settings?.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const streamTimeoutMs = settings?.streamTimeoutMs ?? timeoutMs;
  const groupTimeouts = new Map((settings?.modelGroupSettings ?? []).map((g) => [g.model, g]));

  const groups = new Map<string, ResolvedDeployment[]>();
  const deployments = source.modelList.map((config) => {
    const group = groups.get(config.modelName) ?? [];
    groups.set(config.modelName, group);
    const factory = providers.get(config.provider);
    if (!factory) throw new Error(`provider "${config.provider}" is not registered`); // validate.ts reports this first
    const price = factory.prices?.[config.params?.model ?? ""];
    const inputCost = config.inputCostPerToken ?? price?.inputCostPerToken ?? 0;
    const groupTimeoutMs = groupTimeouts.get(config.modelName)?.timeoutMs ?? timeoutMs;
    const groupStreamTimeoutMs = groupTimeouts.get(config.modelName)?.streamTimeoutMs ?? groupTimeouts.get(config.modelName)?.timeoutMs ?? streamTimeoutMs;
    const deployment: ResolvedDeployment = {
      id: config.id || `${config.modelName}/${group.length}`,
      modelGroup: config.modelName,
      provider: config.provider,
      config,
      adapter: factory.create(config, deps),
      weight: config.weight ?? 1,
      timeoutMs: config.timeoutMs ?? groupTimeoutMs,
      streamTimeoutMs: config.streamTimeoutMs ?? config.timeoutMs ?? groupStreamTimeoutMs,
      tags: new Set(config.tags),
      inputCostPerToken: inputCost,
      outputCostPerToken: config.outputCostPerToken ?? price?.outputCostPerToken ?? 0,
      cacheReadCostPerToken: config.cacheReadCostPerToken ?? price?.cacheReadCostPerToken ?? inputCost,
      cacheWriteCostPerToken: config.cacheWriteCostPerToken ?? price?.cacheWriteCostPerToken ?? inputCost,
      maxInputTokens: config.maxInputTokens ?? price?.maxInputTokens,
      rpmLimit: config.rpm,
      tpmLimit: config.tpm,
      maxParallelRequests: config.maxParallelRequests,
    };
    group.push(deployment);
    return deployment;
  });

  const toMap = (list: ReadonlyArray<{ model: string; to: string[] }> = []) => new Map(list.map((f) => [f.model, f.to]));
  const server = source.serverSettings;
  const router: RouterDefaults = {
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
    retryPolicy: retryPolicy(settings?.retryPolicy),
    allowedFailsByKind: allowedFailsByKind(settings?.allowedFails ?? 3, settings?.allowedFailsPolicy),
    failureWindowMs: settings?.failureWindowMs ?? 60_000,
    latencyBufferRatio: settings?.latencyBufferRatio ?? 0.1,
    streamIdleTimeoutMs: settings?.streamIdleTimeoutMs,
    healthCheck: {
      enabled: settings?.healthCheck?.enabled ?? false,
      intervalMs: settings?.healthCheck?.intervalMs ?? 30_000,
      timeoutMs: settings?.healthCheck?.timeoutMs ?? 5_000,
    },
  };
  return {
    source,
    groups,
    deployments,
    router,
    groupRouting: resolveGroupRouting(source, router),
    server: {
      port: server?.port ?? 4000,
      host: server?.host || "0.0.0.0",
      maxRequestBytes: server?.maxRequestBytes ?? 16 * 1024 * 1024,
      shutdownGraceMs: server?.shutdownGraceMs ?? 10_000,
      reflection: server?.reflection ?? true,
      workers: resolveWorkers(server?.workers),
      limits: {
        maxMessages: server?.maxMessages || DEFAULT_REQUEST_LIMITS.maxMessages,
        maxMessageBytes: server?.maxMessageBytes || DEFAULT_REQUEST_LIMITS.maxMessageBytes,
        maxModelNameBytes: server?.maxModelNameBytes || DEFAULT_REQUEST_LIMITS.maxModelNameBytes,
      },
      connections: {
        firstRequestTimeoutMs: server?.firstRequestTimeoutMs || DEFAULT_CONNECTION_LIMITS.firstRequestTimeoutMs,
        http1IdleTimeoutMs: server?.http1IdleTimeoutMs || DEFAULT_CONNECTION_LIMITS.http1IdleTimeoutMs,
        http2IdleTimeoutMs: server?.http2IdleTimeoutMs || DEFAULT_CONNECTION_LIMITS.http2IdleTimeoutMs,
        maxConnections: server?.maxConnections || DEFAULT_CONNECTION_LIMITS.maxConnections,
      },
    },
    redis: resolveRedis(source.redis),
  };
}

type RetryPolicySettings = NonNullable<NonNullable<RouterConfig["routerSettings"]>["retryPolicy"]>;
type AllowedFailsSettings = NonNullable<NonNullable<RouterConfig["routerSettings"]>["allowedFailsPolicy"]>;

function retryPolicy(policy: RetryPolicySettings | undefined): Map<ErrorKind, number> {
  const entries: Array<[ErrorKind, number | undefined]> = [
    [ErrorKind.RATE_LIMITED, policy?.rateLimitedRetries],
    [ErrorKind.TIMEOUT, policy?.timeoutRetries],
    [ErrorKind.UPSTREAM_UNAVAILABLE, policy?.upstreamUnavailableRetries],
    [ErrorKind.AUTHENTICATION, policy?.authenticationRetries],
    [ErrorKind.INVALID_REQUEST, policy?.invalidRequestRetries],
    [ErrorKind.CONTENT_POLICY, policy?.contentPolicyRetries],
  ];
  return new Map(entries.filter((e): e is [ErrorKind, number] => e[1] !== undefined));
}

/** A bad key, a missing model or a 429 will not fix itself within seconds: one is enough to cool down (as LiteLLM does). */
function allowedFailsByKind(allowedFails: number, policy: AllowedFailsSettings | undefined): Map<ErrorKind, number> {
  const atLeastOne = (n: number) => Math.max(1, n);
  return new Map([
    [ErrorKind.RATE_LIMITED, atLeastOne(policy?.rateLimitedAllowedFails ?? 1)],
    [ErrorKind.AUTHENTICATION, atLeastOne(policy?.authenticationAllowedFails ?? 1)],
    [ErrorKind.NOT_FOUND, atLeastOne(policy?.notFoundAllowedFails ?? 1)],
    [ErrorKind.TIMEOUT, atLeastOne(policy?.timeoutAllowedFails ?? allowedFails)],
    [ErrorKind.UPSTREAM_UNAVAILABLE, atLeastOne(policy?.upstreamUnavailableAllowedFails ?? allowedFails)],
    [ErrorKind.BAD_RESPONSE, atLeastOne(policy?.badResponseAllowedFails ?? allowedFails)],
    [ErrorKind.PERMISSION_DENIED, 1],
    [ErrorKind.INTERNAL, atLeastOne(allowedFails)],
  ]);
}

function resolveRedis(redis: RouterConfig["redis"]): RedisDefaults | undefined {
  if (!redis || (!redis.url && !redis.host && redis.clusterNodes.length === 0)) return undefined;
  const common = { keyPrefix: redis.keyPrefix || "switchyard:", commandTimeoutMs: redis.commandTimeoutMs ?? 200 };
  if (redis.clusterNodes.length > 0) return { url: "", clusterNodes: redis.clusterNodes, ...common };
  let url = redis.url;
  if (!url) {
    const auth = redis.password ? `:${encodeURIComponent(redis.password)}@` : "";
    url = `redis://${auth}${redis.host}:${redis.port ?? 6379}`;
  }
  return { url, ...common };
}

/** server_settings.workers: unset or 0 means one per available core. */
export function resolveWorkers(workers: number | undefined): number {
  return workers || availableParallelism();
}

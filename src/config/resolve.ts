import { availableParallelism } from "node:os";
import type { RouterConfig } from "../../gen/ts/switchyard/v1/config_pb.js";
import { ErrorKind } from "../../gen/ts/switchyard/v1/inference_pb.js";
import type { ProviderRegistry } from "../providers/registry.js";
import { resolveCacheSettings } from "./cache-settings.js";
import { DEFAULTS } from "./defaults.js";
import { resolveGroupRouting } from "./group-settings.js";
import { resolveRedis } from "./redis-settings.js";
import type { ConnectionLimits, RequestLimits, ResolvedConfig, ResolvedDeployment, RouterDefaults } from "./resolved.js";

export type {
  AffinityPolicy,
  CachedCallType,
  ConnectionLimits,
  GroupRouting,
  HedgePolicy,
  RedisDefaults,
  RequestLimits,
  ResolvedCacheLayer,
  ResolvedCacheSettings,
  ResolvedConfig,
  ResolvedDeployment,
  RouterDefaults,
  ServerDefaults,
} from "./resolved.js";

export const DEFAULT_REQUEST_LIMITS: RequestLimits = DEFAULTS.requestLimits;
export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = DEFAULTS.connectionLimits;

/**
 * The config with every default applied, as plain data: no adapter, no
 * connection (the DeploymentRuntime and the cache build those from it).
 * `providers` supplies list prices; validate.ts has already checked the
 * config, so an unknown provider here is a bug.
 */
export function resolveConfig(source: RouterConfig, providers: ProviderRegistry): ResolvedConfig {
  const settings = source.routerSettings;
  const timeoutMs = settings?.timeoutMs ?? DEFAULTS.router.timeoutMs;
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
      weight: config.weight ?? DEFAULTS.router.weight,
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
  const defaults = DEFAULTS.router;
  const allowedFails = settings?.allowedFails ?? defaults.allowedFails;
  const router: RouterDefaults = {
    strategy: settings?.routingStrategy || defaults.strategy,
    numRetries: settings?.numRetries ?? defaults.numRetries,
    allowedFails,
    cooldownTimeMs: settings?.cooldownTimeMs ?? defaults.cooldownTimeMs,
    retryBackoffMs: settings?.retryBackoffMs ?? defaults.retryBackoffMs,
    maxRetryBackoffMs: settings?.maxRetryBackoffMs ?? defaults.maxRetryBackoffMs,
    fallbacks: toMap(settings?.fallbacks),
    contextWindowFallbacks: toMap(settings?.contextWindowFallbacks),
    contentPolicyFallbacks: toMap(settings?.contentPolicyFallbacks),
    defaultFallbacks: settings?.defaultFallbacks ?? [],
    retryPolicy: retryPolicy(settings?.retryPolicy),
    allowedFailsByKind: allowedFailsByKind(allowedFails, settings?.allowedFailsPolicy),
    failureWindowMs: settings?.failureWindowMs ?? defaults.failureWindowMs,
    latencyBufferRatio: settings?.latencyBufferRatio ?? defaults.latencyBufferRatio,
    streamIdleTimeoutMs: settings?.streamIdleTimeoutMs,
    stateSyncMs: settings?.stateSyncMs ?? defaults.stateSyncMs,
    healthCheck: {
      enabled: settings?.healthCheck?.enabled ?? defaults.healthCheck.enabled,
      intervalMs: settings?.healthCheck?.intervalMs ?? defaults.healthCheck.intervalMs,
      timeoutMs: settings?.healthCheck?.timeoutMs ?? defaults.healthCheck.timeoutMs,
    },
    waitQueue: settings?.waitQueue?.enabled
      ? {
          maxDepth: settings.waitQueue.maxDepth ?? defaults.waitQueue.maxDepth,
          maxWaitMs: settings.waitQueue.maxWaitMs ?? defaults.waitQueue.maxWaitMs,
          fairByCaller: settings.waitQueue.fairByCaller ?? defaults.waitQueue.fairByCaller,
        }
      : undefined,
  };
  const limits = DEFAULTS.requestLimits;
  const connections = DEFAULTS.connectionLimits;
  return {
    source,
    groups,
    deployments,
    router,
    groupRouting: resolveGroupRouting(source, router),
    server: {
      port: server?.port ?? DEFAULTS.server.port,
      host: server?.host || DEFAULTS.server.host,
      maxRequestBytes: server?.maxRequestBytes ?? DEFAULTS.server.maxRequestBytes,
      shutdownGraceMs: server?.shutdownGraceMs ?? DEFAULTS.server.shutdownGraceMs,
      reflection: server?.reflection ?? DEFAULTS.server.reflection,
      workers: resolveWorkers(server?.workers),
      limits: {
        maxMessages: server?.maxMessages || limits.maxMessages,
        maxMessageBytes: server?.maxMessageBytes || limits.maxMessageBytes,
        maxModelNameBytes: server?.maxModelNameBytes || limits.maxModelNameBytes,
        maxRequestRetries: server?.maxRequestRetries ?? limits.maxRequestRetries,
      },
      connections: {
        firstRequestTimeoutMs: server?.firstRequestTimeoutMs || connections.firstRequestTimeoutMs,
        http1IdleTimeoutMs: server?.http1IdleTimeoutMs || connections.http1IdleTimeoutMs,
        http2IdleTimeoutMs: server?.http2IdleTimeoutMs || connections.http2IdleTimeoutMs,
        maxConnections: server?.maxConnections || connections.maxConnections,
      },
    },
    redis: resolveRedis(source.redis),
    cache: resolveCacheSettings(source),
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
  const lasting = DEFAULTS.router.allowedFailsLasting;
  return new Map([
    [ErrorKind.RATE_LIMITED, atLeastOne(policy?.rateLimitedAllowedFails ?? lasting)],
    [ErrorKind.AUTHENTICATION, atLeastOne(policy?.authenticationAllowedFails ?? lasting)],
    [ErrorKind.NOT_FOUND, atLeastOne(policy?.notFoundAllowedFails ?? lasting)],
    [ErrorKind.TIMEOUT, atLeastOne(policy?.timeoutAllowedFails ?? allowedFails)],
    [ErrorKind.UPSTREAM_UNAVAILABLE, atLeastOne(policy?.upstreamUnavailableAllowedFails ?? allowedFails)],
    [ErrorKind.BAD_RESPONSE, atLeastOne(policy?.badResponseAllowedFails ?? allowedFails)],
    [ErrorKind.PERMISSION_DENIED, 1],
    [ErrorKind.INTERNAL, atLeastOne(allowedFails)],
  ]);
}

/** server_settings.workers: unset or 0 means one per available core. */
export function resolveWorkers(workers: number | undefined): number {
  return workers || availableParallelism();
}

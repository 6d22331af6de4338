import type {
  AzureBlobCacheSettings,
  Deployment,
  GcsCacheSettings,
  RouterConfig,
  RoutingStrategy,
  S3CacheSettings,
} from "../../gen/ts/switchyard/v1/config_pb.js";
import type { ErrorKind } from "../../gen/ts/switchyard/v1/inference_pb.js";

/**
 * The shapes resolve.ts turns a config into: plain data, with every
 * default applied, read by the hot path. Nothing here is live (no
 * connection, no adapter): the deployment runtime builds those from it.
 */

/** A deployment with its defaults applied: what the router routes over (its adapter lives in the DeploymentRuntime). */
export interface ResolvedDeployment {
  readonly id: string;
  readonly modelGroup: string;
  readonly provider: string;
  readonly config: Deployment;
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
  /** Requests wait for a deployment at its limits (wait_queue); undefined when waiting is off. */
  readonly waitQueue?: WaitQueuePolicy;
  /** Redis store: picks read a local mirror refreshed this often, ms; 0 = read Redis on every pick. */
  readonly stateSyncMs: number;
}

/** router_settings.wait_queue with its defaults applied. */
export interface WaitQueuePolicy {
  readonly maxDepth: number;
  /** Longest wait of a request without a deadline of its own, ms. */
  readonly maxWaitMs: number;
  /** Callers take turns within a priority (and a full queue gives places to callers holding fewer); else FIFO. */
  readonly fairByCaller: boolean;
}

/** Hedging of one group, resolved: exactly one of afterMs / afterPercentile is set. */
export interface HedgePolicy {
  readonly afterMs?: number;
  readonly afterPercentile?: number;
  readonly maxHedges: number;
}

/** Cache affinity of one group, resolved. */
export interface AffinityPolicy {
  /** Non-system messages hashed into the key when the request has no options.affinity_key. */
  readonly prefixMessages: number;
}

/**
 * What one model group routes with: router_settings with the group's
 * overrides applied. (The group's timeouts are applied to its deployments
 * in resolve.ts, so the hot path reads them where it always did.)
 */
export interface GroupRouting {
  readonly router: RouterDefaults;
  readonly hedge?: HedgePolicy;
  readonly affinity?: AffinityPolicy;
}

/** The Redis connection shared router state (and auth's key store) use. */
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
  /** Highest options.num_retries a request may ask for. */
  readonly maxRequestRetries: number;
}

/** Socket limits of the listening server. */
export interface ConnectionLimits {
  readonly firstRequestTimeoutMs: number;
  readonly http1IdleTimeoutMs: number;
  readonly http2IdleTimeoutMs: number;
  readonly maxConnections: number;
}

/** The calls the response cache can serve (cache_settings.call_types). */
export type CachedCallType = "completion" | "embedding" | "moderation" | "image_generation";

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** Where a redis cache layer's Redis is: one server, a Cluster, or a master found through Sentinel. */
export type RedisTopology =
  | { readonly kind: "standalone"; readonly url: string }
  | { readonly kind: "cluster"; readonly nodes: readonly HostPort[] }
  | { readonly kind: "sentinel"; readonly sentinels: readonly HostPort[]; readonly masterName: string };

/** One cache layer with its defaults applied; `timeoutMs` bounds each of its operations. */
export type ResolvedCacheLayer = { readonly timeoutMs: number } & (
  | { readonly kind: "memory"; readonly maxEntries: number; readonly maxBytes: number; readonly maxTtlS?: number }
  | {
      readonly kind: "redis";
      readonly topology: RedisTopology;
      readonly password?: string;
      /** Prefix of every key the layer writes, e.g. "switchyard:cache:". */
      readonly keyPrefix: string;
    }
  | { readonly kind: "s3"; readonly settings: S3CacheSettings; readonly region: string }
  | { readonly kind: "gcs"; readonly settings: GcsCacheSettings }
  | { readonly kind: "azureBlob"; readonly settings: AzureBlobCacheSettings }
);

/** cache_settings with its defaults applied: what the cache is built from and the request path reads. */
export interface ResolvedCacheSettings {
  readonly defaultTtlS: number;
  readonly namespace: string;
  readonly callTypes: ReadonlySet<CachedCallType>;
  readonly maxPendingWrites: number;
  readonly layers: readonly ResolvedCacheLayer[];
}

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
  /** Present when cache_settings.enabled. */
  readonly cache?: ResolvedCacheSettings;
}

import { RoutingStrategy } from "../../gen/ts/switchyard/v1/config_pb.js";

/**
 * Every default the config resolves to, in one table: the value a field
 * takes when the config leaves it out. resolve.ts is the only reader for
 * config fields; code that needs a default outside a config (a server
 * started without limits, a request validated on its own) reads it here
 * too, so no number is written twice.
 */
export const DEFAULTS = {
  router: {
    strategy: RoutingStrategy.SIMPLE_SHUFFLE,
    /** Per-attempt timeout, ms; streams default to it too. */
    timeoutMs: 600_000,
    numRetries: 2,
    /** Failures within the failure window that cool a deployment down, for kinds without their own count. */
    allowedFails: 3,
    /** Kinds that will not fix themselves within seconds (429, bad key, missing model): one is enough, as LiteLLM does. */
    allowedFailsLasting: 1,
    cooldownTimeMs: 60_000,
    retryBackoffMs: 100,
    maxRetryBackoffMs: 5_000,
    failureWindowMs: 60_000,
    latencyBufferRatio: 0.1,
    healthCheck: { enabled: false, intervalMs: 30_000, timeoutMs: 5_000 },
    /** A deployment's weight in weighted picks. */
    weight: 1,
    waitQueue: { maxDepth: 1000, maxWaitMs: 30_000, fairByCaller: true },
    /** Picks on the Redis store read a local mirror this stale at most (0: read Redis every pick); see README "Shared state in Redis". */
    stateSyncMs: 100,
    /** Longest state_sync_ms: counters are per clock minute, so a slower mirror could not see a minute's use in time to enforce rpm/tpm limits. */
    maxStateSyncMs: 60_000,
  },
  modelGroup: {
    /** Non-system messages hashed into the affinity key. */
    affinityPrefixMessages: 1,
    maxHedges: 1,
  },
  server: {
    port: 4000,
    host: "0.0.0.0",
    maxRequestBytes: 16 * 1024 * 1024,
    shutdownGraceMs: 10_000,
    reflection: true,
  },
  requestLimits: { maxMessages: 2048, maxMessageBytes: 4 * 1024 * 1024, maxModelNameBytes: 256, maxRequestRetries: 10 },
  connectionLimits: {
    firstRequestTimeoutMs: 30_000,
    http1IdleTimeoutMs: 65_000,
    http2IdleTimeoutMs: 300_000,
    maxConnections: 10_000,
  },
  redis: {
    host: "127.0.0.1",
    port: 6379,
    keyPrefix: "switchyard:",
    /** A Redis slower than this is treated as down. */
    commandTimeoutMs: 200,
  },
  auth: {
    storeFile: "switchyard-keys.json",
    keyCacheTtlMs: 30_000,
  },
  cache: {
    ttlS: 3600,
    maxPendingWrites: 1000,
    callTypes: ["completion", "embedding"],
    memory: { maxEntries: 10_000, maxBytes: 256 * 1024 * 1024, timeoutMs: 50 },
    objectStore: { timeoutMs: 2000, region: "us-east-1" },
  },
} as const;

import { describe, expect, it } from "vitest";
import { ErrorKind } from "../../gen/ts/switchyard/v1/inference_pb.js";
import { configFromYaml } from "../support/gateway.js";
import { mockDeployment, resolved } from "./support.js";

describe("router settings in the config", () => {
  it("resolves defaults once: retry and cooldown knobs, allowed fails per kind, Redis connection", () => {
    const config = resolved({
      model_list: [mockDeployment("g", "a", {}, { rpm: 10, tpm: 1000, max_parallel_requests: 2 })],
      router_settings: { allowed_fails: 4, retry_policy: { rate_limited_retries: 6 }, allowed_fails_policy: { timeout_allowed_fails: 2 } },
      redis: { host: "127.0.0.1", port: 6390, password: "p@ss" },
    });
    expect(config.deployments[0]).toMatchObject({ rpmLimit: 10, tpmLimit: 1000, maxParallelRequests: 2 });
    expect(config.router.retryPolicy.get(ErrorKind.RATE_LIMITED)).toBe(6);
    expect(config.router.retryPolicy.has(ErrorKind.TIMEOUT)).toBe(false);
    expect(config.router.allowedFailsByKind.get(ErrorKind.UPSTREAM_UNAVAILABLE)).toBe(4);
    expect(config.router.allowedFailsByKind.get(ErrorKind.TIMEOUT)).toBe(2);
    expect(config.router.allowedFailsByKind.get(ErrorKind.RATE_LIMITED)).toBe(1);
    expect(config.router.allowedFailsByKind.has(ErrorKind.CONTENT_POLICY)).toBe(false);
    expect(config.router).toMatchObject({ failureWindowMs: 60_000, latencyBufferRatio: 0.1, healthCheck: { enabled: false }, stateSyncMs: 100 });
    expect(config.redis).toEqual({ url: "redis://:p%40ss@127.0.0.1:6390", keyPrefix: "switchyard:", commandTimeoutMs: 200 });
    expect(resolved({ model_list: [mockDeployment("g", "a")] }).redis).toBeUndefined();
  });

  it("rejects router settings that cannot work, naming the field", () => {
    const bad = (router_settings: Record<string, unknown>) => () =>
      configFromYaml(JSON.stringify({ model_list: [mockDeployment("g", "a")], router_settings }));
    expect(bad({ latency_buffer_ratio: -0.5 })).toThrow(/router_settings\.latency_buffer_ratio.*must be 0 or more/);
    expect(bad({ health_check: { enabled: true, interval_ms: 0 } })).toThrow(/router_settings\.health_check\.interval_ms/);
    expect(bad({ retry_backoff_ms: 500, max_retry_backoff_ms: 100 })).toThrow(/router_settings\.max_retry_backoff_ms.*at least retry_backoff_ms/);
    expect(bad({ state_sync_ms: 600_000 })).toThrow(/router_settings\.state_sync_ms.*at most 60000/);
    expect(bad({ state_sync_ms: -1 })).toThrow(/router_settings\.state_sync_ms/);
    expect(resolved({ model_list: [mockDeployment("g", "a")], router_settings: { state_sync_ms: 100 } }).router.stateSyncMs).toBe(100);
  });
});

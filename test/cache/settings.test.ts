import { fromJsonString } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { RouterConfigSchema } from "../../gen/ts/switchyard/v1/config_pb.js";
import { cacheSettingsProblems, resolveCacheSettings } from "../../src/config/cache-settings.js";
import { startTestGateway } from "../support/gateway.js";

/** The config as protobuf parses it, before the loader's semantic checks (which include these). */
const configFromYaml = (json: string) => fromJsonString(RouterConfigSchema, json);

const withCache = (cacheSettings: Record<string, unknown>) =>
  JSON.stringify({
    model_list: [{ model_name: "m", provider: "mock", params: { model: "mock-1" } }],
    cache_settings: cacheSettings,
  });

describe("cache_settings checks", () => {
  it("names every bad field by its config path", () => {
    const problems = cacheSettingsProblems(
      configFromYaml(
        withCache({
          enabled: true,
          namespace: "has space",
          call_types: ["completion", "images"],
          layers: [{ s3: { prefix: "p/" } }, { azure_blob: { container: "c" } }, { timeout_ms: 5 }, { redis: {} }],
        }),
      ),
    );
    expect(problems.map((p) => `${p.segments.join(".")}: ${p.message}`)).toEqual([
      'cache_settings.namespace: "has space" must be 1-64 letters, digits, ".", "_" or "-"',
      'cache_settings.call_types.1: unknown call type "images"; one of completion, embedding, moderation, image_generation',
      "cache_settings.layers.0.s3.bucket: is required",
      "cache_settings.layers.1.azure_blob.connection_string: is required",
      "cache_settings.layers.2: set one of memory, redis, s3, gcs, azure_blob",
      "cache_settings.layers.3.redis.connection: set a url or host here or in the top-level redis",
    ]);
  });

  it("checks Redis Cluster and Sentinel settings", () => {
    const problems = cacheSettingsProblems(
      configFromYaml(
        withCache({
          enabled: true,
          layers: [
            { redis: { cluster_nodes: ["127.0.0.1:7000", "no-port"] } },
            { redis: { sentinels: ["127.0.0.1:26379"] } },
            { redis: { sentinels: ["127.0.0.1:26379"], cluster_nodes: ["127.0.0.1:7000"] } },
            { redis: { sentinels: ["127.0.0.1:26379"], sentinel_master_name: "mymaster" } },
          ],
        }),
      ),
    );
    expect(problems.map((p) => `${p.segments.join(".")}: ${p.message}`)).toEqual([
      'cache_settings.layers.0.redis.cluster_nodes.1: "no-port" is not host:port',
      "cache_settings.layers.1.redis.sentinel_master_name: is required with sentinels",
      "cache_settings.layers.2.redis: set cluster_nodes or sentinels, not both",
    ]);
  });

  it("accepts a disabled cache with no layers, and a Redis layer using the top-level connection", () => {
    expect(cacheSettingsProblems(configFromYaml(withCache({ enabled: false })))).toEqual([]);
    const config = configFromYaml(
      JSON.stringify({
        model_list: [{ model_name: "m", provider: "mock", params: { model: "mock-1" } }],
        redis: { url: "redis://127.0.0.1:6379" },
        cache_settings: { enabled: true, layers: [{ memory: {} }, { redis: {} }] },
      }),
    );
    expect(cacheSettingsProblems(config)).toEqual([]);
  });

  it("stops the config from loading with a bad cache config, naming file, field and line", async () => {
    await expect(startTestGateway(withCache({ enabled: true, layers: [{ gcs: {} }] }))).rejects.toThrow(
      "test-config.yaml: cache_settings.layers[0].gcs.bucket (line 1): is required",
    );
  });
});

describe("resolved cache_settings", () => {
  it("is undefined when the cache is off", () => {
    expect(resolveCacheSettings(configFromYaml(withCache({ enabled: false, layers: [{ memory: {} }] })))).toBeUndefined();
  });

  it("applies every layer's defaults once, with the top-level redis as the layer's connection", () => {
    const settings = resolveCacheSettings(
      configFromYaml(
        JSON.stringify({
          model_list: [{ model_name: "m", provider: "mock", params: { model: "mock-1" } }],
          redis: { host: "cache.internal", password: "p@ss", command_timeout_ms: 80 },
          cache_settings: {
            enabled: true,
            layers: [
              { memory: {} },
              { redis: {} },
              { redis: { connection: { url: "redis://other:6400", key_prefix: "team:" } }, timeout_ms: 30 },
              { redis: { sentinels: ["10.0.0.1:26379"], sentinel_master_name: "main" } },
              { s3: { bucket: "b" } },
            ],
          },
        }),
      ),
    );
    expect(settings).toMatchObject({ defaultTtlS: 3600, maxPendingWrites: 1000, callTypes: new Set(["completion", "embedding"]) });
    expect(settings?.layers).toEqual([
      { kind: "memory", timeoutMs: 50, maxEntries: 10_000, maxBytes: 256 * 1024 * 1024, maxTtlS: undefined },
      // The same URL builder as the top-level redis: password in the URL, port 6379 when none is set.
      { kind: "redis", timeoutMs: 80, topology: { kind: "standalone", url: "redis://:p%40ss@cache.internal:6379" }, password: "p@ss", keyPrefix: "switchyard:cache:" },
      { kind: "redis", timeoutMs: 30, topology: { kind: "standalone", url: "redis://other:6400" }, password: "", keyPrefix: "team:cache:" },
      {
        kind: "redis",
        timeoutMs: 80,
        topology: { kind: "sentinel", sentinels: [{ host: "10.0.0.1", port: 26379 }], masterName: "main" },
        password: "p@ss",
        keyPrefix: "switchyard:cache:",
      },
      expect.objectContaining({ kind: "s3", timeoutMs: 2000, region: "us-east-1" }),
    ]);
  });
});

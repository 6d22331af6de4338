import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CacheLayer as CacheLayerKind } from "../../gen/ts/switchyard/v1/inference_pb.js";
import { RedisLayer, parseHostPort, type RedisTopology } from "../../src/cache/layers/redis.js";
import { TieredCache } from "../../src/cache/tiered-cache.js";
import { silentLogger } from "../../src/observability/logger.js";
import { startRedisCluster, startRedisSentinel, type RedisCluster, type RedisSentinelSetup } from "../support/emulators/redis-topologies.js";
import { FakeClock } from "../support/fake-clock.js";
import { startCachingGateway } from "./gateway-support.js";

let cluster: RedisCluster;
let sentinel: RedisSentinelSetup;
beforeAll(async () => {
  [cluster, sentinel] = await Promise.all([startRedisCluster(), startRedisSentinel()]);
});
afterAll(async () => {
  await Promise.all([cluster?.stop(), sentinel?.stop()]);
});

const bytes = (text: string) => new TextEncoder().encode(text);

const topologies: Record<string, () => RedisTopology> = {
  cluster: () => ({ kind: "cluster", nodes: cluster.nodes.map(parseHostPort) }),
  sentinel: () => ({ kind: "sentinel", sentinels: [parseHostPort(sentinel.sentinel)], masterName: sentinel.masterName }),
};

describe.each(Object.keys(topologies))("Redis layer over %s", (name) => {
  it("stores, reads, and deletes by key and by namespace across the keyspace", async () => {
    const clock = new FakeClock();
    const layer = new RedisLayer({ topology: topologies[name]!(), keyPrefix: "switchyard:cache:", commandTimeoutMs: 2000, clock });
    const cache = new TieredCache([{ layer, timeoutMs: 2000 }], clock, silentLogger);
    try {
      await cache.open();
      // Enough keys to land in many hash slots (and, on the cluster, on every master).
      for (let i = 0; i < 30; i++) cache.store(`tenant/completion/${i}`, bytes(`t${i}`), 60);
      cache.store("other/completion/0", bytes("o"), 60);
      await cache.idle();
      expect(Number(cache.stats()[0]!.sets)).toBe(31);
      expect((await cache.get("tenant/completion/7"))?.layer).toBe(CacheLayerKind.REDIS);

      expect(await cache.invalidate({ key: "tenant/completion/7" })).toBe(1);
      expect(await cache.get("tenant/completion/7")).toBeUndefined();
      expect(await cache.invalidate({ prefix: "tenant/" })).toBe(29);
      expect(await cache.get("tenant/completion/8")).toBeUndefined();
      expect(new TextDecoder().decode((await cache.get("other/completion/0"))?.entry.payload)).toBe("o");
      expect(Number(cache.stats()[0]!.errors)).toBe(0);
    } finally {
      await cache.close();
    }
  });
});

it("a gateway configured with cluster_nodes answers a repeat from the Redis Cluster", async () => {
  const g = await startCachingGateway({ layers: [{ redis: { cluster_nodes: cluster.nodes }, timeout_ms: 2000 }] });
  try {
    const request = { model: "m", messages: [{ role: "user", content: "cluster" }] };
    const first = await g.inference.complete(request);
    await g.gateway.cache!.idle();
    const second = await g.inference.complete(request);
    expect(second.cache).toMatchObject({ hit: true, layer: CacheLayerKind.REDIS });
    expect(second.id).toBe(first.id);
    expect(g.calls.complete).toBe(1);
  } finally {
    await g.close();
  }
});

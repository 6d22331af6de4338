import { Storage } from "@google-cloud/storage";
import http from "node:http";
import net from "node:net";
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { CacheLayer as CacheLayerKind } from "../../gen/ts/switchyard/v1/inference_pb.js";
import type { CacheLayer } from "../../src/cache/layer.js";
import { AzureBlobLayer } from "../../src/cache/layers/azure-blob.js";
import { GcsLayer } from "../../src/cache/layers/gcs.js";
import { MemoryLayer } from "../../src/cache/layers/memory.js";
import { RedisLayer } from "../../src/cache/layers/redis.js";
import { S3Layer } from "../../src/cache/layers/s3.js";
import { CacheInvalidationError, TieredCache, type LayerSlot } from "../../src/cache/tiered-cache.js";
import { silentLogger, type Logger } from "../../src/observability/logger.js";
import { startFakeGcs } from "../support/emulators/fake-gcs.js";
import { MOTO_CREDENTIALS } from "../support/emulators/moto.js";
import { FakeClock } from "../support/fake-clock.js";
import { freePort, startRedisServer } from "../support/redis-server.js";
import { BUCKET, ensureBuckets, makeLayer, type BackendName } from "./backends.js";

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (b: Uint8Array | undefined) => (b ? new TextDecoder().decode(b) : undefined);
const signal = () => AbortSignal.timeout(10_000);

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
beforeAll(ensureBuckets);

function tiered(layers: CacheLayer[], clock: FakeClock, timeoutMs = 5000, maxPendingWrites?: number, logger: Logger = silentLogger): TieredCache {
  const slots: LayerSlot[] = layers.map((layer) => ({ layer, timeoutMs }));
  const cache = new TieredCache(slots, clock, logger, maxPendingWrites);
  cleanups.push(() => cache.close());
  return cache;
}
const statsOf = (cache: TieredCache, name: string) => {
  const s = cache.stats().find((l) => l.layer === name)!;
  return { hits: Number(s.hits), misses: Number(s.misses), sets: Number(s.sets), errors: Number(s.errors) };
};

const LOWER: BackendName[] = ["redis", "s3", "gcs", "azure_blob"];
const KIND: Record<BackendName, CacheLayerKind> = {
  memory: CacheLayerKind.MEMORY,
  redis: CacheLayerKind.REDIS,
  s3: CacheLayerKind.S3,
  gcs: CacheLayerKind.GCS,
  azure_blob: CacheLayerKind.AZURE_BLOB,
};

describe.each(LOWER)("memory over %s", (name) => {
  it("a hit in the lower layer answers and is copied up into memory", async () => {
    const clock = new FakeClock();
    const memory = makeLayer("memory", clock);
    const lower = makeLayer(name, clock);
    const cache = tiered([memory, lower], clock);
    await cache.open();
    await lower.set("default/completion/k", { payload: bytes("from below"), createdAtMs: clock.now(), ttlS: 60 }, signal());
    await clock.advance(3_000);

    const hit = await cache.get("default/completion/k");
    expect(hit).toMatchObject({ layer: KIND[name], ageS: 3 });
    expect(text(hit?.entry.payload)).toBe("from below");
    await cache.idle();
    const again = await cache.get("default/completion/k");
    expect(again).toMatchObject({ layer: CacheLayerKind.MEMORY, ageS: 3 }); // back-fill keeps the original age
    expect(statsOf(cache, "memory")).toEqual({ hits: 1, misses: 1, sets: 1, errors: 0 });
    expect(statsOf(cache, name)).toEqual({ hits: 1, misses: 0, sets: 0, errors: 0 });
  });

  it("expires entries on the fake clock and honours max_age", async () => {
    const clock = new FakeClock();
    const cache = tiered([makeLayer(name, clock)], clock);
    await cache.open();
    cache.store("default/completion/ttl", bytes("short-lived"), 10);
    await cache.idle();
    await clock.advance(9_000);
    expect((await cache.get("default/completion/ttl"))?.ageS).toBe(9);
    expect(await cache.get("default/completion/ttl", 5)).toBeUndefined(); // older than max_age_s
    await clock.advance(1_000);
    expect(await cache.get("default/completion/ttl")).toBeUndefined();
    expect(statsOf(cache, name)).toEqual({ hits: 1, misses: 2, sets: 1, errors: 0 });
  });
});

describe("memory layer bounds", () => {
  it("max_ttl_s caps how long an entry stays in memory, while the entry's own TTL still rules below", async () => {
    const clock = new FakeClock();
    const memory = new MemoryLayer({ maxEntries: 10, maxBytes: 1 << 20, maxTtlS: 5, clock });
    const redis = makeLayer("redis", clock);
    const cache = tiered([memory, redis], clock);
    await cache.open();
    cache.store("default/completion/capped", bytes("x"), 60);
    await cache.idle();
    await clock.advance(4_000);
    expect((await cache.get("default/completion/capped"))?.layer).toBe(CacheLayerKind.MEMORY);
    await clock.advance(2_000);
    const later = await cache.get("default/completion/capped");
    expect(later).toMatchObject({ layer: CacheLayerKind.REDIS, ageS: 6 });
  });

  it("evicts least recently used entries beyond max_entries and counts them", async () => {
    const clock = new FakeClock();
    const memory = new MemoryLayer({ maxEntries: 2, maxBytes: 1 << 20, clock });
    const cache = tiered([memory], clock);
    for (const k of ["a", "b"]) cache.store(`default/completion/${k}`, bytes(k), 60);
    await cache.get("default/completion/a"); // a is now more recent than b
    cache.store("default/completion/c", bytes("c"), 60);
    await cache.idle();
    expect(await cache.get("default/completion/b")).toBeUndefined();
    expect(await cache.get("default/completion/a")).toBeDefined();
    expect(memory.usage()).toMatchObject({ entries: 2, evictions: 1 });
    expect(Number(cache.stats()[0]!.evictions)).toBe(1);
  });
});

describe("a layer that fails never fails the lookup", () => {
  async function expectSkipped(broken: CacheLayer, timeoutMs = 5000, logger: Logger = silentLogger) {
    const clock = new FakeClock();
    const memoryBelow = makeLayer("memory", clock);
    const cache = tiered([broken, memoryBelow], clock, timeoutMs, undefined, logger);
    await cache.open();
    cache.store("default/completion/f", bytes("still here"), 60);
    await cache.idle();
    const hit = await cache.get("default/completion/f");
    expect(hit?.layer).toBe(CacheLayerKind.MEMORY);
    expect(text(hit?.entry.payload)).toBe("still here");
    expect(await cache.get("default/completion/absent")).toBeUndefined();
    await cache.idle();
    const stats = statsOf(cache, broken.name);
    expect(stats.errors).toBe(4); // the write, both reads, and the back-fill of the hit
    expect(stats.hits + stats.sets).toBe(0);
    return cache;
  }

  it("S3 pointed at a closed port", async () => {
    const port = await freePort();
    await expectSkipped(new S3Layer({ bucket: BUCKET, prefix: "", endpoint: `http://127.0.0.1:${port}`, forcePathStyle: true, ...MOTO_CREDENTIALS }));
  });

  it("S3 endpoint answering every request with 500", async () => {
    const server = http.createServer((_req, res) => {
      res.writeHead(500, { "content-type": "application/xml" });
      res.end("<Error><Code>InternalError</Code><Message>boom</Message></Error>");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    cleanups.push(() => new Promise((r) => server.close(r)));
    const { port } = server.address() as net.AddressInfo;
    await expectSkipped(new S3Layer({ bucket: BUCKET, prefix: "", endpoint: `http://127.0.0.1:${port}`, forcePathStyle: true, ...MOTO_CREDENTIALS }));
  });

  it("a store that accepts connections but never answers is cut off at timeout_ms", async () => {
    const sockets: net.Socket[] = [];
    const server = net.createServer((s) => sockets.push(s));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    cleanups.push(() => new Promise((r) => (sockets.forEach((s) => s.destroy()), server.close(r))));
    const { port } = server.address() as net.AddressInfo;
    const warnings: Array<{ layer?: string; err?: string }> = [];
    const logger = pino({ level: "warn" }, new Writable({ write: (chunk: Buffer, _enc, done) => (warnings.push(JSON.parse(chunk.toString())), done()) }));
    await expectSkipped(
      new S3Layer({ bucket: BUCKET, prefix: "", endpoint: `http://127.0.0.1:${port}`, forcePathStyle: true, ...MOTO_CREDENTIALS }),
      150,
      logger,
    );
    // Every failure is the layer's own 150 ms timeout cutting the call off, not the SDK's timeouts or retries.
    const s3Failures = warnings.filter((w) => w.layer === "s3").map((w) => w.err);
    expect(s3Failures).toHaveLength(4);
    for (const err of s3Failures) expect(err).toMatch(/^cache layer s3: (get|set) took longer than 150 ms$/);
  });

  it("Azure Blob pointed at a closed port", async () => {
    const port = await freePort();
    const connectionString = `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${Buffer.from("k").toString("base64")};BlobEndpoint=http://127.0.0.1:${port}/devstoreaccount1;`;
    await expectSkipped(new AzureBlobLayer({ connectionString, container: BUCKET, prefix: "" }));
  });

  it("GCS emulator killed mid-test", async () => {
    const gcs = await startFakeGcs();
    cleanups.push(() => gcs.stop());
    await new Storage({ apiEndpoint: gcs.endpoint, projectId: "test" }).createBucket(BUCKET);
    const clock = new FakeClock();
    const layer = new GcsLayer({ bucket: BUCKET, prefix: "", projectId: "test", endpoint: gcs.endpoint });
    const cache = tiered([layer, makeLayer("memory", clock)], clock);
    cache.store("default/completion/g", bytes("kept"), 60);
    await cache.idle();
    expect((await cache.get("default/completion/g"))?.layer).toBe(CacheLayerKind.GCS);
    await gcs.stop();
    const hit = await cache.get("default/completion/g");
    expect(hit?.layer).toBe(CacheLayerKind.MEMORY);
    expect(text(hit?.entry.payload)).toBe("kept");
    expect(statsOf(cache, "gcs")).toMatchObject({ hits: 1, errors: 1 });
  });

  it("Redis stopped mid-test", async () => {
    const redis = await startRedisServer();
    let stopped = false;
    cleanups.push(() => (stopped ? undefined : redis.stop()));
    const clock = new FakeClock();
    const layer = new RedisLayer({ topology: { kind: "standalone", url: redis.url }, keyPrefix: "t:", commandTimeoutMs: 1000, clock });
    const cache = tiered([layer, makeLayer("memory", clock)], clock);
    await cache.open();
    cache.store("default/completion/r", bytes("kept"), 60);
    await cache.idle();
    expect((await cache.get("default/completion/r"))?.layer).toBe(CacheLayerKind.REDIS);
    await redis.stop();
    stopped = true;
    const hit = await cache.get("default/completion/r");
    expect(hit?.layer).toBe(CacheLayerKind.MEMORY);
    cache.store("default/completion/r2", bytes("new"), 60);
    await cache.idle();
    expect(statsOf(cache, "redis")).toMatchObject({ hits: 1, sets: 1, errors: 3 }); // read, back-fill, new write
    expect(text((await cache.get("default/completion/r2"))?.entry.payload)).toBe("new");
  });

  it("Redis down at startup: the cache still serves, and Redis is used once it comes up", async () => {
    const port = await freePort();
    const clock = new FakeClock();
    const layer = new RedisLayer({ topology: { kind: "standalone", url: `redis://127.0.0.1:${port}` }, keyPrefix: "t:", commandTimeoutMs: 500, clock });
    const cache = tiered([layer, makeLayer("memory", clock)], clock, 500);
    await cache.open(); // logs and goes on
    cache.store("default/completion/early", bytes("early"), 60);
    await cache.idle();
    expect((await cache.get("default/completion/early"))?.layer).toBe(CacheLayerKind.MEMORY);
    expect(statsOf(cache, "redis").errors).toBeGreaterThanOrEqual(2);

    const redis = await startRedisServer(port);
    cleanups.push(() => redis.stop());
    // ioredis reconnects on its own backoff (at most 2 s apart): wait for its "ready", then write once.
    await layer.ready();
    cache.store("default/completion/late", bytes("late"), 60);
    await cache.idle();
    expect(statsOf(cache, "redis").sets).toBe(1);
    expect((await cache.get("default/completion/late"))?.layer).toBe(CacheLayerKind.REDIS);
  });

  it("invalidation reports the layer it could not reach and still clears the others", async () => {
    const clock = new FakeClock();
    const port = await freePort();
    const broken = new S3Layer({ bucket: BUCKET, prefix: "", endpoint: `http://127.0.0.1:${port}`, forcePathStyle: true, ...MOTO_CREDENTIALS });
    const memory = makeLayer("memory", clock);
    const cache = tiered([memory, broken], clock);
    cache.store("ns/completion/1", bytes("x"), 60);
    await cache.idle();
    const err = await cache.invalidate({ prefix: "ns/" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CacheInvalidationError);
    expect(err).toMatchObject({ failedLayers: ["s3"], deleted: 1 });
    expect(await memory.get("ns/completion/1", signal())).toBeUndefined();
  });

  it("drops writes beyond max_pending_writes instead of queueing without bound", async () => {
    const sockets: net.Socket[] = [];
    const server = net.createServer((s) => sockets.push(s));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    cleanups.push(() => new Promise((r) => (sockets.forEach((s) => s.destroy()), server.close(r))));
    const { port } = server.address() as net.AddressInfo;
    const clock = new FakeClock();
    const slow = new S3Layer({ bucket: BUCKET, prefix: "", endpoint: `http://127.0.0.1:${port}`, forcePathStyle: true, ...MOTO_CREDENTIALS });
    const cache = tiered([makeLayer("memory", clock), slow], clock, 300, 1);
    cache.store("default/completion/1", bytes("1"), 60);
    cache.store("default/completion/2", bytes("2"), 60); // queue full: dropped everywhere
    await cache.idle();
    expect(statsOf(cache, "memory")).toMatchObject({ sets: 1, errors: 1 });
    expect(statsOf(cache, "s3")).toMatchObject({ sets: 0, errors: 2 }); // one timeout, one drop
  });
});

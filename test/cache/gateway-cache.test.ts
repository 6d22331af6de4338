import { Code, ConnectError } from "@connectrpc/connect";
import { Redis } from "ioredis";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { CacheLayer, type ModelResponseChunk } from "../../gen/ts/switchyard/v1/inference_pb.js";
import { freePort, startRedisServer, type RedisServer } from "../support/redis-server.js";
import { ensureBuckets, layerConfig, uniquePrefix } from "./backends.js";
import { startCachingGateway, type CachingGateway } from "./gateway-support.js";
import { collect } from "../support/async.js";

const ask = (content: string, extra: Record<string, unknown> = {}) => ({
  model: "m",
  messages: [{ role: "user", content }],
  ...extra,
});

const textOf = (chunks: ModelResponseChunk[]) => chunks.flatMap((c) => c.choices.map((ch) => ch.delta?.content ?? "")).join("");

const running: CachingGateway[] = [];
const redisServers: RedisServer[] = [];
/** A private redis-server whose stop() may be called by the test and again by cleanup. */
async function privateRedis(): Promise<RedisServer> {
  const server = await startRedisServer();
  let stopping: Promise<void> | undefined;
  const once = { ...server, stop: () => (stopping ??= server.stop()) };
  redisServers.push(once);
  return once;
}
async function start(...args: Parameters<typeof startCachingGateway>): Promise<CachingGateway> {
  const g = await startCachingGateway(...args);
  running.push(g);
  return g;
}
afterEach(async () => {
  await Promise.all(running.splice(0).map((g) => g.close()));
  await Promise.all(redisServers.splice(0).map((r) => r.stop()));
});
beforeAll(ensureBuckets);

describe("memory → Redis → S3 through the real gateway", () => {
  it("answers a repeat from memory, after a restart from Redis, with Redis flushed from S3, and with Redis stopped still answers", async () => {
    const redis = await privateRedis();
    const prefix = uniquePrefix();
    const settings = {
      layers: [
        layerConfig("memory"),
        { redis: { connection: { url: redis.url } }, timeout_ms: 2000 },
        layerConfig("s3", prefix),
      ],
    };

    const first = await start(settings);
    const miss = await first.inference.complete(ask("acceptance"));
    expect(miss.cache?.hit).toBe(false);
    expect(miss.cache?.key).toMatch(/^default\/completion\/[0-9a-f]{64}$/);
    expect(miss.costUsd).toBeGreaterThan(0);
    expect(miss.choices[0]?.message?.content).toBe("This is a mock response to: acceptance");
    expect(first.calls.complete).toBe(1);

    const fromMemory = await first.inference.complete(ask("acceptance"));
    expect(fromMemory.cache).toMatchObject({ hit: true, layer: CacheLayer.MEMORY, key: miss.cache?.key });
    expect(fromMemory.id).toBe(miss.id); // the stored answer, not a regenerated one
    expect(fromMemory.choices).toEqual(miss.choices);
    expect(fromMemory.usage).toEqual(miss.usage);
    expect(fromMemory.costUsd).toBe(0);
    expect(fromMemory.attempts).toEqual([]);
    expect(first.calls.complete).toBe(1);
    await first.gateway.cache!.idle();
    await first.close();

    const restarted = await start(settings);
    const fromRedis = await restarted.inference.complete(ask("acceptance"));
    expect(fromRedis.cache).toMatchObject({ hit: true, layer: CacheLayer.REDIS });
    expect(fromRedis.id).toBe(miss.id);
    expect(restarted.calls.complete).toBe(0);
    await restarted.close();

    const client = new Redis(redis.url);
    await client.flushall();
    client.disconnect();
    const afterFlush = await start(settings);
    const fromS3 = await afterFlush.inference.complete(ask("acceptance"));
    expect(fromS3.cache).toMatchObject({ hit: true, layer: CacheLayer.S3 });
    expect(fromS3.id).toBe(miss.id);
    await afterFlush.gateway.cache!.idle();
    // The S3 hit was copied up: memory answers next, and Redis holds it again.
    expect((await afterFlush.inference.complete(ask("acceptance"))).cache?.layer).toBe(CacheLayer.MEMORY);
    expect(await afterFlush.layerStats("redis")).toMatchObject({ sets: 1, misses: 1 });

    // A cached prompt streams as a replay of chunks with the same content and usage.
    const replay = await collect(afterFlush.inference.streamComplete(ask("acceptance")));
    expect(replay.length).toBeGreaterThan(2);
    expect(textOf(replay)).toBe("This is a mock response to: acceptance");
    const last = replay.at(-1)!;
    expect(last.cache).toMatchObject({ hit: true, layer: CacheLayer.MEMORY });
    expect(last.usage).toEqual(miss.usage);
    expect(last.costUsd).toBe(0);
    expect(afterFlush.calls.stream + afterFlush.calls.complete).toBe(0);

    // Redis goes away: new and repeated prompts are still answered; Redis failures are counted.
    await redis.stop();
    const during = await afterFlush.inference.complete(ask("while redis is down"));
    expect(during.choices[0]?.message?.content).toBe("This is a mock response to: while redis is down");
    expect(during.cache?.hit).toBe(false);
    await afterFlush.gateway.cache!.idle();
    const again = await afterFlush.inference.complete(ask("while redis is down"));
    expect(again.cache).toMatchObject({ hit: true, layer: CacheLayer.MEMORY });
    const redisStats = await afterFlush.layerStats("redis");
    expect(redisStats.errors).toBeGreaterThanOrEqual(2); // the failed lookup and the failed write
    expect(afterFlush.calls.complete).toBe(1);
  });
});

describe("faults through the real gateway", () => {
  it("object stores that cannot be reached are skipped: answers stay correct and errors are counted", async () => {
    const closed = await freePort();
    const g = await start({
      layers: [
        { s3: { bucket: "b", endpoint: `http://127.0.0.1:${closed}`, force_path_style: true, access_key_id: "x", secret_access_key: "y" } },
        { gcs: { bucket: "b", endpoint: `http://127.0.0.1:${closed}` } },
        layerConfig("memory"),
      ],
    });
    const first = await g.inference.complete(ask("through broken stores"));
    expect(first.choices[0]?.message?.content).toBe("This is a mock response to: through broken stores");
    await g.gateway.cache!.idle();
    const second = await g.inference.complete(ask("through broken stores"));
    expect(second.cache).toMatchObject({ hit: true, layer: CacheLayer.MEMORY });
    await g.gateway.cache!.idle();
    for (const layer of ["s3", "gcs"]) {
      // per request: a failed read each time, the write, and the back-fill of the memory hit
      expect(await g.layerStats(layer)).toMatchObject({ errors: 4, hits: 0, sets: 0 });
    }
    expect(g.calls.complete).toBe(1);
  });
});

describe("streaming", () => {
  it("stores a completed stream as a response and replays it with the same content and usage", async () => {
    const g = await start({ layers: [layerConfig("memory")] });
    const original = await collect(g.inference.streamComplete(ask("stream me please, with a longer answer than one chunk")));
    const originalFinal = original.at(-1)!;
    expect(originalFinal.cache?.hit).toBe(false);
    expect(originalFinal.cache?.key).not.toBe("");
    expect(g.calls.stream).toBe(1);

    const replay = await collect(g.inference.streamComplete(ask("stream me please, with a longer answer than one chunk")));
    expect(g.calls.stream).toBe(1);
    expect(textOf(replay)).toBe(textOf(original));
    expect(replay.length).toBeGreaterThan(2);
    expect(replay[0]?.choices[0]?.delta?.role).toBe("assistant");
    expect(replay.flatMap((c) => c.choices.map((ch) => ch.finishReason)).filter(Boolean)).toEqual(
      original.flatMap((c) => c.choices.map((ch) => ch.finishReason)).filter(Boolean),
    );
    const final = replay.at(-1)!;
    expect(final.cache).toMatchObject({ hit: true, layer: CacheLayer.MEMORY, key: originalFinal.cache?.key });
    expect(final.usage).toEqual(originalFinal.usage);
    expect(final.costUsd).toBe(0);
    expect(final.id).toBe(original[0]?.id);

    // The unary call for the same request is answered from the stored stream.
    const unary = await g.inference.complete(ask("stream me please, with a longer answer than one chunk"));
    expect(unary.cache?.hit).toBe(true);
    expect(unary.choices[0]?.message?.content).toBe(textOf(original));
    expect(unary.usage).toEqual(originalFinal.usage);
    expect(g.calls.complete).toBe(0);
  });

  it("replays tool calls of a cached answer as tool-call deltas", async () => {
    const g = await start({ layers: [layerConfig("memory")] });
    const request = ask("weather?", {
      tools: [{ function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } } }],
      toolChoice: { choice: { case: "functionName", value: "get_weather" } },
    });
    const original = await collect(g.inference.streamComplete(request));
    const replay = await collect(g.inference.streamComplete(request));
    expect(g.calls.stream).toBe(1);
    const calls = (chunks: ModelResponseChunk[]) => chunks.flatMap((c) => c.choices.flatMap((ch) => ch.delta?.toolCalls ?? []));
    const joined = (chunks: ModelResponseChunk[]) => calls(chunks).map((c) => `${c.id}|${c.name}|`).join("") + calls(chunks).map((c) => c.arguments).join("");
    expect(calls(original).length).toBeGreaterThan(0);
    expect(joined(replay)).toBe(joined(original));
    expect(replay.at(-1)?.cache?.hit).toBe(true);
  });
});

describe("admin RPCs", () => {
  it("invalidates one key in every layer and reports per-layer stats", async () => {
    const g = await start({ layers: ["memory", "redis", "s3", "gcs", "azure_blob"].map((n) => layerConfig(n as never)) });
    const stored = await g.inference.complete(ask("to invalidate"));
    const other = await g.inference.complete(ask("to keep"));
    await g.gateway.cache!.idle();
    for (const layer of ["memory", "redis", "s3", "gcs", "azure_blob"]) {
      expect(await g.layerStats(layer)).toMatchObject({ sets: 2, misses: layer === "memory" ? 2 : 2, hits: 0, errors: 0 });
    }
    const memory = await g.layerStats("memory");
    expect(memory.entries).toBe(2);
    expect(memory.bytes).toBeGreaterThan(0);

    const { deleted } = await g.admin.invalidateCache({ target: { case: "key", value: stored.cache!.key } });
    expect(deleted).toBe(5n);
    const after = await g.inference.complete(ask("to invalidate"));
    expect(after.cache?.hit).toBe(false);
    expect(g.calls.complete).toBe(3);
    expect((await g.inference.complete(ask("to keep"))).cache?.hit).toBe(true);
    expect(other.cache?.key).not.toBe(stored.cache?.key);
  });

  it("invalidates a whole namespace in every layer, leaving other namespaces", async () => {
    const g = await start({ namespace: "svc", layers: ["memory", "redis", "s3", "gcs", "azure_blob"].map((n) => layerConfig(n as never)) });
    const inTenant = (content: string) => ask(content, { options: { cache: { namespace: "tenant-1" } } });
    const a = await g.inference.complete(inTenant("one"));
    await g.inference.complete(inTenant("two"));
    await g.inference.complete(ask("outside"));
    expect(a.cache?.key).toMatch(/^svc\/tenant-1\/completion\//);
    await g.gateway.cache!.idle();

    const { deleted } = await g.admin.invalidateCache({ target: { case: "namespace", value: "tenant-1" } });
    expect(deleted).toBe(10n); // two entries in five layers
    expect((await g.inference.complete(inTenant("one"))).cache?.hit).toBe(false);
    expect((await g.inference.complete(ask("outside"))).cache?.hit).toBe(true);
  });

  it("rejects a bad namespace and an empty target with INVALID_ARGUMENT", async () => {
    const g = await start({ layers: [layerConfig("memory")] });
    await expect(g.admin.invalidateCache({ target: { case: "namespace", value: "no spaces/allowed" } })).rejects.toMatchObject({
      code: Code.InvalidArgument,
    });
    await expect(g.admin.invalidateCache({})).rejects.toMatchObject({ code: Code.InvalidArgument });
    const err = await g.inference.complete(ask("x", { options: { cache: { namespace: "bad ns" } } })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe(Code.InvalidArgument);
    expect((err as ConnectError).rawMessage).toContain("options.cache.namespace");
  });
});

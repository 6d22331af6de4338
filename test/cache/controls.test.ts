import { Code } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { CacheLayer, type ModelResponseChunk } from "../../gen/ts/switchyard/v1/inference_pb.js";
import { FakeClock } from "../support/fake-clock.js";
import { layerConfig } from "./backends.js";
import { startCachingGateway, type CachingGateway } from "./gateway-support.js";

const ask = (content: string, cache?: Record<string, unknown>) => ({
  model: "m",
  messages: [{ role: "user", content }],
  ...(cache ? { options: { cache } } : {}),
});

const running: CachingGateway[] = [];
async function start(...args: Parameters<typeof startCachingGateway>): Promise<CachingGateway> {
  const g = await startCachingGateway(...args);
  running.push(g);
  return g;
}
afterEach(async () => {
  await Promise.all(running.splice(0).map((g) => g.close()));
});

describe("per-request cache controls (fake clock)", () => {
  it("no_cache skips the lookup but still stores the fresh answer", async () => {
    const g = await start({ layers: [layerConfig("memory")] }, { clock: new FakeClock() });
    const first = await g.inference.complete(ask("q"));
    const bypass = await g.inference.complete(ask("q", { noCache: true }));
    expect(bypass.cache?.hit).toBe(false);
    expect(bypass.id).not.toBe(first.id);
    expect(g.calls.complete).toBe(2);
    const next = await g.inference.complete(ask("q"));
    expect(next.cache?.hit).toBe(true);
    expect(next.id).toBe(bypass.id); // the no_cache answer replaced the older one
  });

  it("no_store answers without storing", async () => {
    const g = await start({ layers: [layerConfig("memory")] }, { clock: new FakeClock() });
    await g.inference.complete(ask("q", { noStore: true }));
    const next = await g.inference.complete(ask("q"));
    expect(next.cache?.hit).toBe(false);
    expect(g.calls.complete).toBe(2);
    expect((await g.layerStats("memory")).sets).toBe(1);
  });

  it("a namespace is its own partition of the cache", async () => {
    const g = await start({ layers: [layerConfig("memory")] }, { clock: new FakeClock() });
    const plain = await g.inference.complete(ask("q"));
    const inA = await g.inference.complete(ask("q", { namespace: "a" }));
    expect(inA.cache?.hit).toBe(false);
    expect(inA.cache?.key).not.toBe(plain.cache?.key);
    expect((await g.inference.complete(ask("q", { namespace: "a" }))).id).toBe(inA.id);
    expect((await g.inference.complete(ask("q", { namespace: "b" }))).cache?.hit).toBe(false);
    expect(g.calls.complete).toBe(3);
  });

  it("entries expire after default_ttl_s, and a request's ttl_s overrides it", async () => {
    const clock = new FakeClock();
    const g = await start({ default_ttl_s: 60, layers: [layerConfig("memory")] }, { clock });
    await g.inference.complete(ask("default ttl"));
    await g.inference.complete(ask("short ttl", { ttlS: 10 }));
    await clock.advance(9_000);
    const young = await g.inference.complete(ask("short ttl"));
    expect(young.cache).toMatchObject({ hit: true, ageS: 9 });
    await clock.advance(2_000); // 11 s: past the request's ttl_s
    expect((await g.inference.complete(ask("short ttl"))).cache?.hit).toBe(false);
    await clock.advance(48_000); // 59 s
    expect((await g.inference.complete(ask("default ttl"))).cache).toMatchObject({ hit: true, ageS: 59 });
    await clock.advance(1_000); // 60 s: expired
    expect((await g.inference.complete(ask("default ttl"))).cache?.hit).toBe(false);
    expect(g.calls.complete).toBe(4);
  });

  it("max_age_s accepts only entries younger than it", async () => {
    const clock = new FakeClock();
    const g = await start({ layers: [layerConfig("memory")] }, { clock });
    const original = await g.inference.complete(ask("aged"));
    await clock.advance(30_000);
    const tooOld = await g.inference.complete(ask("aged", { maxAgeS: 20 }));
    expect(tooOld.cache?.hit).toBe(false);
    expect(tooOld.id).not.toBe(original.id);
    await clock.advance(5_000);
    const fresh = await g.inference.complete(ask("aged", { maxAgeS: 20 }));
    expect(fresh.cache).toMatchObject({ hit: true, ageS: 5, layer: CacheLayer.MEMORY });
    expect(fresh.id).toBe(tooOld.id);
  });

  it("a memory layer bounded in bytes evicts the least recently used answers", async () => {
    const g = await start({ layers: [{ memory: { max_bytes: 700 } }] }, { clock: new FakeClock() });
    for (const n of [1, 2, 3, 4, 5, 6]) await g.inference.complete(ask(`question number ${n}`));
    const stats = await g.layerStats("memory");
    expect(stats.bytes).toBeLessThanOrEqual(700);
    expect(stats.evictions).toBeGreaterThan(0);
    expect(stats.entries).toBe(6 - stats.evictions);
    expect((await g.inference.complete(ask("question number 1"))).cache?.hit).toBe(false);
    expect((await g.inference.complete(ask("question number 6"))).cache?.hit).toBe(true);
  });
});

describe("embeddings are cached per input item", () => {
  it("sends only the uncached inputs upstream and reassembles the answer in input order", async () => {
    const g = await start({ layers: [layerConfig("memory")] }, { clock: new FakeClock() });
    const reference = await g.inference.embed({ model: "m", input: ["alpha", "beta", "gamma"], options: { cache: { noCache: true, noStore: true } } });
    expect(g.calls.embed).toEqual([["alpha", "beta", "gamma"]]);
    const vectorOf = (text: string) => reference.data[["alpha", "beta", "gamma"].indexOf(text)]!.vector;

    const first = await g.inference.embed({ model: "m", input: ["alpha", "beta"] });
    expect(first.cache?.hit).toBe(false);
    expect(g.calls.embed.at(-1)).toEqual(["alpha", "beta"]);

    const partial = await g.inference.embed({ model: "m", input: ["gamma", "alpha", "beta", "gamma"] });
    expect(g.calls.embed.at(-1)).toEqual(["gamma"]); // only the miss, once
    expect(partial.data.map((d) => d.index)).toEqual([0, 1, 2, 3]);
    expect(partial.data.map((d) => d.vector)).toEqual([vectorOf("gamma"), vectorOf("alpha"), vectorOf("beta"), vectorOf("gamma")]);
    expect(partial.cache?.hit).toBe(false);

    const calls = g.calls.embed.length;
    const full = await g.inference.embed({ model: "m", input: ["beta", "gamma"] });
    expect(g.calls.embed.length).toBe(calls);
    expect(full.cache).toMatchObject({ hit: true, layer: CacheLayer.MEMORY });
    expect(full.costUsd).toBe(0);
    expect(full.data.map((d) => d.vector)).toEqual([vectorOf("beta"), vectorOf("gamma")]);

    // A different output size is a different cache entry.
    await g.inference.embed({ model: "m", input: ["beta"], dimensions: 8 });
    expect(g.calls.embed.at(-1)).toEqual(["beta"]);
  });
});

describe("single flight", () => {
  it("N concurrent identical misses make one upstream call and all get the answer", async () => {
    const clock = new FakeClock();
    const g = await start({ layers: [layerConfig("memory")] }, { clock, mock: { latency_ms: 1000 } });
    const N = 8;
    const answers = Array.from({ length: N }, () => g.inference.complete(ask("together")));
    // Every caller has looked up and missed, and the upstream call is parked on the clock (mock latency).
    for (let i = 0; i < 500 && ((await g.layerStats("memory")).misses < N || g.calls.complete < 1); i++) await new Promise((r) => setImmediate(r));
    expect((await g.layerStats("memory")).misses).toBe(N);
    expect(g.calls.complete).toBe(1);
    await clock.advance(1000);
    const results = await Promise.all(answers);
    expect(g.calls.complete).toBe(1);
    expect(new Set(results.map((r) => r.id)).size).toBe(1);
    for (const r of results) expect(r.choices[0]?.message?.content).toBe("This is a mock response to: together");
    expect((await g.inference.complete(ask("together"))).cache?.hit).toBe(true);
  });

  it("concurrent identical embedding batches make one upstream call", async () => {
    const clock = new FakeClock();
    const g = await start({ layers: [layerConfig("memory")] }, { clock, mock: { latency_ms: 1000 } });
    const N = 5;
    const answers = Array.from({ length: N }, () => g.inference.embed({ model: "m", input: ["x", "y"] }));
    for (let i = 0; i < 500 && ((await g.layerStats("memory")).misses < 2 * N || g.calls.embed.length < 1); i++) await new Promise((r) => setImmediate(r));
    expect((await g.layerStats("memory")).misses).toBe(2 * N);
    await clock.advance(1000);
    const results = await Promise.all(answers);
    expect(g.calls.embed).toEqual([["x", "y"]]);
    for (const r of results) expect(r.data.map((d) => d.vector)).toEqual(results[0]!.data.map((d) => d.vector));
  });
});

describe("single flight for streams", () => {
  const collectText = async (stream: AsyncIterable<ModelResponseChunk>) => {
    let text = "";
    let last: ModelResponseChunk | undefined;
    for await (const chunk of stream) {
      text += chunk.choices.map((c) => c.delta?.content ?? "").join("");
      last = chunk;
    }
    return { text, last };
  };
  const until = async (condition: () => Promise<boolean> | boolean) => {
    for (let i = 0; i < 1000 && !(await condition()); i++) await new Promise((r) => setImmediate(r));
    expect(await condition()).toBe(true);
  };

  it("N concurrent identical StreamComplete calls share one upstream stream", async () => {
    const clock = new FakeClock();
    const g = await start({ layers: [layerConfig("memory")] }, { clock, mock: { latency_ms: 1000 } });
    const N = 5;
    const streams = Array.from({ length: N }, () => collectText(g.inference.streamComplete(ask("stream together"))));
    await until(async () => (await g.layerStats("memory")).misses === N && g.calls.stream === 1);
    await clock.advance(1000);
    const results = await Promise.all(streams);
    expect(g.calls.stream).toBe(1);
    for (const r of results) {
      expect(r.text).toBe("This is a mock response to: stream together");
      expect(r.last?.cache?.hit).toBe(false);
      expect(r.last?.usage?.completionTokens).toBeGreaterThan(0);
    }
    expect((await g.inference.complete(ask("stream together"))).cache?.hit).toBe(true);
  });

  it("a caller hanging up does not cut the shared stream off for the others", async () => {
    const clock = new FakeClock();
    const g = await start({ layers: [layerConfig("memory")] }, { clock, mock: { latency_ms: 1000 } });
    const leaderAbort = new AbortController();
    const leader = collectText(g.inference.streamComplete(ask("hang up"), { signal: leaderAbort.signal }));
    await until(() => g.calls.stream === 1);
    const follower = collectText(g.inference.streamComplete(ask("hang up")));
    await until(async () => (await g.layerStats("memory")).misses === 2);
    leaderAbort.abort();
    await expect(leader).rejects.toMatchObject({ code: Code.Canceled });
    await clock.advance(1000);
    expect((await follower).text).toBe("This is a mock response to: hang up");
    expect(g.calls).toMatchObject({ stream: 1, streamsCompleted: 1, streamsAborted: 0 });
    expect((await g.inference.complete(ask("hang up"))).cache?.hit).toBe(true);
  });

  it("when every caller hangs up, the upstream stream is cancelled and nothing is stored", async () => {
    const clock = new FakeClock();
    const g = await start({ layers: [layerConfig("memory")] }, { clock, mock: { latency_ms: 1000 } });
    const abort = new AbortController();
    const only = collectText(g.inference.streamComplete(ask("alone"), { signal: abort.signal }));
    await until(() => g.calls.stream === 1);
    abort.abort();
    await expect(only).rejects.toMatchObject({ code: Code.Canceled });
    await until(() => g.calls.streamsAborted === 1);
    const next = g.inference.complete(ask("alone"));
    await until(() => g.calls.complete === 1);
    await clock.advance(1000);
    expect((await next).cache?.hit).toBe(false);
  });
});

describe("moderation and image generation", () => {
  it("image generation is cached only when listed in call_types, at cost 0 on a hit", async () => {
    const off = await start({ layers: [layerConfig("memory")] }, { clock: new FakeClock() });
    await off.inference.generateImage({ model: "m", prompt: "a cat" });
    await off.inference.generateImage({ model: "m", prompt: "a cat" });
    expect((await off.layerStats("memory")).sets).toBe(0);

    const on = await start({ call_types: ["image_generation"], layers: [layerConfig("memory")] }, { clock: new FakeClock() });
    const first = await on.inference.generateImage({ model: "m", prompt: "a cat", n: 1 });
    const second = await on.inference.generateImage({ model: "m", prompt: "a cat" });
    expect(second.images).toEqual(first.images);
    expect(second.costUsd).toBe(0);
    expect(second.attempts).toEqual([]);
    await on.inference.generateImage({ model: "m", prompt: "a cat", size: "512x512" });
    expect((await on.layerStats("memory")).hits).toBe(1);
    expect((await on.layerStats("memory")).sets).toBe(2);
  });

  it("moderation is cached when listed in call_types", async () => {
    const g = await start({ call_types: ["moderation"], layers: [layerConfig("memory")] }, { clock: new FakeClock() });
    const first = await g.inference.moderate({ model: "m", input: ["I will attack", "hello"] });
    const second = await g.inference.moderate({ model: "m", input: ["I will attack", "hello"] });
    expect(g.calls.moderate).toBe(1);
    expect(second.results).toEqual(first.results);
    expect(second.id).toBe(first.id);
    // completion is not in call_types here: not cached
    await g.inference.complete(ask("q"));
    await g.inference.complete(ask("q"));
    expect(g.calls.complete).toBe(2);
  });
});

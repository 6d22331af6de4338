import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { CacheEntry } from "../../src/cache/entry.js";
import type { CacheLayer } from "../../src/cache/layer.js";
import { FakeClock } from "../support/fake-clock.js";
import { BACKENDS, ensureBuckets, makeLayer } from "./backends.js";

const signal = () => AbortSignal.timeout(10_000);
const entry = (text: string, clock: FakeClock, ttlS = 60): CacheEntry => ({
  payload: new TextEncoder().encode(text),
  createdAtMs: clock.now(),
  ttlS,
});
const text = (e: CacheEntry | undefined) => (e ? new TextDecoder().decode(e.payload) : undefined);

beforeAll(ensureBuckets);

describe.each(BACKENDS)("%s layer against the real backend", (name) => {
  let layer: CacheLayer;
  const clock = new FakeClock();

  afterEach(async () => {
    await layer?.close?.();
  });

  it("returns what was stored, with its created time and TTL, and misses unknown keys", async () => {
    layer = makeLayer(name, clock);
    await layer.open?.(signal());
    expect(await layer.get("default/completion/nothing-here", signal())).toBeUndefined();
    const stored = entry("hello from " + name, clock, 120);
    await layer.set("default/completion/abc", stored, signal());
    const got = await layer.get("default/completion/abc", signal());
    expect(text(got)).toBe("hello from " + name);
    expect(got?.createdAtMs).toBe(stored.createdAtMs);
    expect(got?.ttlS).toBe(120);
  });

  it("deletes one key and reports whether it existed", async () => {
    layer = makeLayer(name, clock);
    await layer.open?.(signal());
    await layer.set("default/completion/one", entry("1", clock), signal());
    await layer.set("default/completion/two", entry("2", clock), signal());
    expect(await layer.delete({ key: "default/completion/one" }, signal())).toBe(1);
    expect(await layer.delete({ key: "default/completion/one" }, signal())).toBe(0);
    expect(await layer.get("default/completion/one", signal())).toBeUndefined();
    expect(text(await layer.get("default/completion/two", signal()))).toBe("2");
  });

  it("deletes a whole namespace (key prefix) and nothing outside it", async () => {
    layer = makeLayer(name, clock);
    await layer.open?.(signal());
    await layer.set("tenant-a/completion/1", entry("a1", clock), signal());
    await layer.set("tenant-a/embedding/2", entry("a2", clock), signal());
    await layer.set("tenant-ab/completion/3", entry("ab", clock), signal());
    await layer.set("tenant-b/completion/1", entry("b1", clock), signal());
    expect(await layer.delete({ prefix: "tenant-a/" }, signal())).toBe(2);
    expect(await layer.get("tenant-a/completion/1", signal())).toBeUndefined();
    expect(await layer.get("tenant-a/embedding/2", signal())).toBeUndefined();
    expect(text(await layer.get("tenant-ab/completion/3", signal()))).toBe("ab");
    expect(text(await layer.get("tenant-b/completion/1", signal()))).toBe("b1");
  });
});

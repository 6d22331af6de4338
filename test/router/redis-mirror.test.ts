import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, inject, it, vi } from "vitest";
import { MemoryStateStore } from "../../src/router/state/memory-store.js";
import { RedisMirror, stateEveryMs, type MirrorSource } from "../../src/router/state/redis-mirror.js";
import { RedisStateStore } from "../../src/router/state/redis-store.js";
import { createStateStore } from "../../src/router/state/index.js";
import type { StatsView } from "../../src/router/state/state-store.js";
import { FakeClock } from "../support/fake-clock.js";
import { startRedisCluster } from "../support/emulators/redis-topologies.js";
import { startRedisServer } from "../support/redis-server.js";
import { chat, ctx, mockDeployment, resolved, routerFor } from "./support.js";

/**
 * The Redis store's local mirror (router_settings.state_sync_ms > 0): picks
 * read memory, own writes show at once, other instances' counters after a
 * refresh, their availability changes as soon as they are announced.
 * Refreshes are driven by the test (refreshMirror, or the fake clock for
 * the loop), never by sleeping.
 */

const SYNC_MS = 100;
const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function storeOn(url: string, keyPrefix: string, clock: FakeClock, stateSyncMs = SYNC_MS): Promise<RedisStateStore> {
  const store = new RedisStateStore({ url, keyPrefix, commandTimeoutMs: 500, clock, stateSyncMs });
  cleanup.push(() => store.close());
  await vi.waitFor(() => expect(store.shared).toBe(true));
  return store;
}

/** Two instances on one Redis and one fake clock; `mine` has a mirrored view of `ids`, already refreshed once. */
async function twoInstances(ids: string[], url = inject("redisUrl")) {
  const clock = new FakeClock();
  const keyPrefix = `mirror-${randomUUID()}:`;
  const mine = await storeOn(url, keyPrefix, clock);
  const other = await storeOn(url, keyPrefix, clock);
  const view = mine.view(ids)!;
  await mine.viewReady(view);
  return { clock, mine, other, view };
}

/** Reads the view as a pick would: ready (when the store asks for it), then at(now). */
async function pickRead(store: RedisStateStore, view: StatsView, clock: FakeClock): Promise<StatsView> {
  await store.viewReady(view);
  view.at(clock.now());
  return view;
}

function counters(view: StatsView, n: number) {
  const rpm = new Float64Array(n);
  const tpm = new Float64Array(n);
  const inFlight = new Float64Array(n);
  view.readCounters(rpm, tpm, inFlight);
  return { rpm: [...rpm], tpm: [...tpm], inFlight: [...inFlight] };
}

describe("Redis store with state_sync_ms: a local mirror for picks", () => {
  it("offers no view with state_sync_ms 0: every pick reads Redis, as before the mirror (the default, 100, mirrors)", async () => {
    const clock = new FakeClock();
    const exact = await storeOn(inject("redisUrl"), `mirror-${randomUUID()}:`, clock, 0);
    expect(exact.view(["d"])).toBeUndefined();
    const storeFor = (router_settings: Record<string, unknown>) => {
      const store = createStateStore(resolved({ model_list: [mockDeployment("g", "d")], router_settings, redis: { url: inject("redisUrl") } }), clock);
      cleanup.push(() => store.close());
      return store;
    };
    expect(storeFor({ state_sync_ms: 0 }).view?.(["d"])).toBeUndefined();
    expect(storeFor({}).view?.(["d"])).toBeDefined();
  });

  it("shows this instance's own begin, end, usage and latency at once, without a refresh", async () => {
    const { clock, mine, view } = await twoInstances(["d", "e"]);
    const lease = await mine.begin("d");
    view.at(clock.now());
    expect(counters(view, 2)).toEqual({ rpm: [1, 0], tpm: [0, 0], inFlight: [1, 0] });
    await lease.end({ totalTokens: 30, latencyPerTokenMs: 12 });
    view.at(clock.now());
    expect(counters(view, 2)).toEqual({ rpm: [1, 0], tpm: [30, 0], inFlight: [0, 0] });
    expect(view.latencyPerTokenMs(0)).toBe(12);
    expect(view.statsOf(0)).toMatchObject({ inFlight: 0, rpm: 1, tpm: 30, latencyPerTokenMs: 12 });
  });

  it("shows this instance's own cooldown, drain, health and recovery at once, with a new availability version each", async () => {
    const { clock, mine, view } = await twoInstances(["d"]);
    view.at(clock.now());
    let version = view.availabilityVersion();
    const changes: Array<[() => Promise<unknown>, boolean]> = [
      [() => mine.coolDown("d", clock.now() + 5_000, "TIMEOUT: slow"), false],
      [() => mine.recover("d"), true],
      [() => mine.setDrained("d", true), false],
      [() => mine.setDrained("d", false), true],
      [() => mine.setHealth("d", false, "probe failed"), false],
      [() => mine.setHealth("d", true, ""), true],
    ];
    for (const [change, available] of changes) {
      await change();
      view.at(clock.now());
      expect(view.available(0)).toBe(available);
      expect(view.availabilityVersion()).not.toBe(version);
      version = view.availabilityVersion();
    }
  });

  it("shows another instance's in-flight, rpm and tpm after a refresh, its latency by the next state read, and never counts its own twice", async () => {
    const { clock, mine, other, view } = await twoInstances(["d"]);
    const own = await mine.begin("d");
    const theirs = await other.begin("d");
    await (await other.begin("d")).end({ totalTokens: 100, latencyPerTokenMs: 20 });
    view.at(clock.now());
    expect(counters(view, 1)).toEqual({ rpm: [1], tpm: [0], inFlight: [1] }); // only its own until the next refresh

    await mine.refreshMirror();
    view.at(clock.now());
    // The refresh read Redis, which holds this instance's request too: still counted once.
    expect(counters(view, 1)).toEqual({ rpm: [3], tpm: [100], inFlight: [2] });
    // Latency averages are not announced: they come with the state hashes, read at least every stateEveryMs.
    expect(view.latencyPerTokenMs(0)).toBeNaN();
    await clock.advance(stateEveryMs(SYNC_MS));
    // The loop's own rounds run as the clock moves: one sent before the interval was up may be in flight, so refresh
    // until a round sent after it has landed.
    await vi.waitFor(async () => {
      await mine.refreshMirror();
      view.at(clock.now());
      expect(view.latencyPerTokenMs(0)).toBe(20);
    });

    await own.end({ totalTokens: 10, latencyPerTokenMs: 30 });
    view.at(clock.now());
    expect(counters(view, 1)).toEqual({ rpm: [3], tpm: [110], inFlight: [1] });
    expect(view.latencyPerTokenMs(0)).toBeCloseTo(20 + 0.3 * (30 - 20));

    await mine.refreshMirror();
    await mine.refreshMirror();
    view.at(clock.now());
    expect(counters(view, 1)).toEqual({ rpm: [3], tpm: [110], inFlight: [1] });
    expect(view.latencyPerTokenMs(0)).toBeCloseTo(23); // the sample was applied once, by Redis

    await theirs.end();
    await mine.refreshMirror();
    view.at(clock.now());
    expect(counters(view, 1)).toEqual({ rpm: [3], tpm: [110], inFlight: [0] });
    // The next clock minute starts from zero, for both shares.
    await clock.advance(60_000);
    view.at(clock.now());
    expect(counters(view, 1)).toEqual({ rpm: [0], tpm: [0], inFlight: [0] });
  });

  it("reads fresh counts of a deployment near its limit before the pick, and only of those near one", async () => {
    const { clock, mine, other, view } = await twoInstances(["near", "far"]);
    const limits = [{ rpmLimit: 10 }, { rpmLimit: 1_000 }];
    // Other instances' pace, as two refreshes one interval apart see it: 5 begins per 100 ms on "near".
    for (let i = 0; i < 5; i++) await other.begin("near");
    await clock.advance(SYNC_MS); // the refresh loop's timer
    await vi.waitFor(() => {
      view.at(clock.now());
      expect(view.rpm(0)).toBe(5);
    });
    // Unseen by this instance (no refresh, no announcement: counters are never announced).
    for (let i = 0; i < 4; i++) await other.begin("near");
    for (let i = 0; i < 3; i++) await other.begin("far");

    // At that pace "near" may be at its limit by now: the pick reads its counts first; "far" is far from its own.
    await mine.viewReady(view, limits);
    view.at(clock.now());
    expect([view.rpm(0), view.rpm(1)]).toEqual([9, 0]);
    await mine.begin("near");
    await mine.viewReady(view, limits);
    view.at(clock.now());
    expect(view.rpm(0)).toBe(10); // at the limit: the pick's scan rules it out
  });

  it("keeps an own write made while a refresh is in flight, which the refresh's read may not include", async () => {
    const { clock, mine, view } = await twoInstances(["d"]);
    const refreshing = mine.refreshMirror(); // its read is on the wire before the write below
    await mine.setDrained("d", true);
    await refreshing;
    view.at(clock.now());
    expect(view.drained(0)).toBe(true);
  });

  it("refreshes every state_sync_ms on its own while the view is picked from", async () => {
    const { clock, other, view } = await twoInstances(["d"]);
    view.at(clock.now());
    await other.begin("d");
    await clock.advance(SYNC_MS); // the refresh loop's timer
    await vi.waitFor(() => {
      view.at(clock.now());
      expect(view.inFlight(0)).toBe(1);
    });
  });

  it("sees another instance's cooldown and drain as soon as it is announced, with no sync interval passing", async () => {
    const { clock, mine, other, view } = await twoInstances(["d", "e"]);
    await pickRead(mine, view, clock);
    expect([view.available(0), view.available(1)]).toEqual([true, true]);
    const version = view.availabilityVersion();

    await other.coolDown("d", clock.now() + 30_000, "UPSTREAM_UNAVAILABLE: down");
    await other.setDrained("e", true);
    // The fake clock never moves here: the refresh loop's timer cannot fire, only the announcement can make them visible.
    await vi.waitFor(async () => {
      await pickRead(mine, view, clock);
      expect([view.available(0), view.drained(1)]).toEqual([false, true]);
    });
    expect(view.cooldownUntilMs(0)).toBe(clock.now() + 30_000);
    expect(view.statsOf(0).lastError).toContain("UPSTREAM_UNAVAILABLE");
    expect(view.availabilityVersion()).not.toBe(version);

    await other.recover("d");
    await vi.waitFor(async () => expect((await pickRead(mine, view, clock)).available(0)).toBe(true));
  });

  it("hears announcements on a Redis Cluster too, whichever node each instance subscribed through", async () => {
    const cluster = await startRedisCluster(3);
    cleanup.push(() => cluster.stop());
    const clock = new FakeClock();
    const keyPrefix = `mirror-${randomUUID()}:`;
    const onCluster = async () => {
      const store = new RedisStateStore({ url: "", clusterNodes: cluster.nodes, keyPrefix, commandTimeoutMs: 1_000, clock, stateSyncMs: SYNC_MS });
      cleanup.push(() => store.close());
      await vi.waitFor(() => expect(store.shared).toBe(true), { timeout: 10_000 });
      return store;
    };
    const [mine, other] = [await onCluster(), await onCluster()];
    const view = mine.view(["d"])!;
    await pickRead(mine, view, clock);
    expect(view.available(0)).toBe(true);
    // Let both subscriptions settle before announcing (a subscriber that is not listening yet hears nothing).
    await vi.waitFor(async () => {
      await other.setHealth("d", false, "probe failed");
      await pickRead(mine, view, clock);
      expect(view.unhealthy(0)).toBe(true);
    }, { timeout: 10_000 });
    await other.setHealth("d", true, "");
    await vi.waitFor(async () => expect((await pickRead(mine, view, clock)).available(0)).toBe(true));
  }, 60_000);

  it("lets a router on the mirror avoid a deployment another instance cooled down once the announcement arrives", async () => {
    const clock = new FakeClock();
    const keyPrefix = `mirror-${randomUUID()}:`;
    const [mine, other] = [await storeOn(inject("redisUrl"), keyPrefix, clock), await storeOn(inject("redisUrl"), keyPrefix, clock)];
    const t = routerFor({ model_list: [mockDeployment("g", "x"), mockDeployment("g", "y")] }, { clock, store: mine });
    const landed = new Set<string>();
    for (let i = 0; i < 20; i++) landed.add((await t.router.complete(chat("g"), ctx())).deploymentId);
    expect(landed).toEqual(new Set(["x", "y"]));

    await other.coolDown("x", clock.now() + 60_000, "UPSTREAM_UNAVAILABLE: down");
    await vi.waitFor(async () => expect((await t.router.complete(chat("g"), ctx())).deploymentId).toBe("y"));
    for (let i = 0; i < 20; i++) expect((await t.router.complete(chat("g"), ctx())).deploymentId).toBe("y");
  });

  it("weighs other instances' in-flight calls at 1/N when ranking least-busy, so N instances do not all pile onto the one the snapshot shows idle", async () => {
    const clock = new FakeClock();
    const keyPrefix = `mirror-${randomUUID()}:`;
    const url = inject("redisUrl");
    const [first, second] = [await storeOn(url, keyPrefix, clock), await storeOn(url, keyPrefix, clock)];
    const mine = await storeOn(url, keyPrefix, clock); // three live instances
    for (let i = 0; i < 3; i++) await first.begin("a");
    for (let i = 0; i < 3; i++) await second.begin("a");
    for (let i = 0; i < 3; i++) await second.begin("c");
    for (let i = 0; i < 2; i++) await mine.begin("b");
    const t = routerFor(
      { model_list: ["a", "b", "c"].map((id) => mockDeployment("g", id)), router_settings: { routing_strategy: "least-busy" } },
      { clock, store: mine },
    );
    // True counts a 6, b 2, c 3: b is least busy overall, but 4 of a's and 2 of c's calls (the others' 2/3 share) are
    // for the other two instances to answer; ranked at 1/3 weight, a 2, b 2, c 1, so this instance's share goes to c.
    await vi.waitFor(
      async () => {
        await mine.refreshMirror();
        expect((await t.router.complete(chat("g", randomUUID()), ctx())).deploymentId).toBe("c");
      },
      { timeout: 5_000, interval: 100 }, // until this instance's heartbeat has counted the other two (they register as they start)
    );
    for (let i = 0; i < 10; i++) expect((await t.router.complete(chat("g", randomUUID()), ctx())).deploymentId).toBe("c");
    // Only the ranking is damped: the counts shown and limits judged are the true ones.
    const state = await mine.stats(["a", "b", "c"]);
    expect(["a", "b", "c"].map((id) => state.get(id)!.inFlight)).toEqual([6, 2, 3]);
    const capped = routerFor(
      { model_list: [mockDeployment("g", "a"), mockDeployment("g", "b"), mockDeployment("g", "c", {}, { max_parallel_requests: 3 })], router_settings: { routing_strategy: "least-busy" } },
      { clock, store: mine },
    );
    for (let i = 0; i < 10; i++) expect((await capped.router.complete(chat("g", randomUUID()), ctx())).deploymentId).not.toBe("c");
  });

  it("answers from local state while Redis is down, never failing a pick, and reads Redis again once it is back", async () => {
    const server = await startRedisServer();
    let current = server;
    cleanup.push(() => current.stop());
    const { clock, mine, other, view } = await twoInstances(["d"], server.url);
    await other.begin("d");
    await other.setDrained("d", true);
    await mine.begin("d");
    await mine.refreshMirror();
    view.at(clock.now());
    expect([view.inFlight(0), view.drained(0)]).toEqual([2, true]);

    await current.stop();
    await vi.waitFor(() => expect(mine.shared).toBe(false));
    expect(mine.viewReady(view)).toBeUndefined(); // nothing to wait for
    view.at(clock.now());
    // This instance's own state only: its one request, and no drain (another instance's).
    expect(counters(view, 1)).toEqual({ rpm: [1], tpm: [0], inFlight: [1] });
    expect(view.available(0)).toBe(true);
    await mine.begin("d");
    view.at(clock.now());
    expect(view.inFlight(0)).toBe(2);

    current = await startRedisServer(server.port);
    await vi.waitFor(() => expect(mine.shared && other.shared).toBe(true), { timeout: 10_000, interval: 50 });
    await other.setDrained("d", true); // the restarted Redis is empty
    await vi.waitFor(async () => {
      await pickRead(mine, view, clock);
      expect(view.drained(0)).toBe(true);
    });
    // Both instances' requests reached the new Redis through their resyncs: the other's one, and this one's two counted once.
    await mine.refreshMirror();
    view.at(clock.now());
    expect(view.inFlight(0)).toBe(3);
  });
});

describe("the mirror's refresh loop under slow rounds", () => {
  it("does not make picks wait while the loop keeps up, however long a round takes; a view it stopped refreshing still waits", async () => {
    // A source whose every read takes 150 ms of the clock (a large group on a busy instance), with an interval of 100 ms.
    let now = 1_700_000_000_000;
    const clock = { now: () => now, sleep: async () => {}, setTimer: () => ({ cancel() {} }) }; // the loop's timer never fires: rounds are driven here
    const source: MirrorSource = {
      shared: true,
      liveInstances: 1,
      read: async (ids) => {
        now += 150;
        return ids.map(() => ({ hash: {}, othersInFlight: 0, rpm: 0, tpm: 0 }));
      },
    };
    const mirror = new RedisMirror(source, new MemoryStateStore(clock), clock, 100);
    const view = mirror.view(["a"]);
    await mirror.ready(view); // the first pick waits for the first round
    const roundStart = now - 150;
    // The loop's next round is sent 100 ms after this one ended and lands 150 ms later: until then the view is as old
    // as this round's sending, 400 ms at most, twice the interval and more, but the loop is keeping up.
    now = roundStart + 150 + 100 + 140;
    expect(mirror.ready(view)).toBeUndefined();
    // Two rounds' time past that, nothing refreshed it: stale, the pick waits for a round.
    now = roundStart + 700;
    const waited = mirror.ready(view);
    expect(waited).toBeInstanceOf(Promise);
    await waited;
    expect(mirror.ready(view)).toBeUndefined();
  });
});

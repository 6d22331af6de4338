import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { Worker } from "node:worker_threads";
import { afterEach, describe, expect, inject, it, vi } from "vitest";
import { ErrorKind } from "../../gen/ts/switchyard/v1/inference_pb.js";
import { GatewayError } from "../../src/errors/gateway-error.js";
import { MemoryStateStore } from "../../src/router/state/memory-store.js";
import { RedisStateStore } from "../../src/router/state/redis-store.js";
import { allocateSharedStateMemory, SharedMemoryStateStore } from "../../src/router/state/shared-memory-store.js";
import type { BeginCaps, DeploymentStateStore, DeploymentStats, Lease } from "../../src/router/state/state-store.js";
import { FakeClock } from "../support/fake-clock.js";
import { chat, ctx, mockDeployment, routerFor, runOnClock } from "./support.js";

/**
 * max_parallel_requests is a cap, not a hint: a pick reads in-flight counts
 * and begins later, so two routers sharing state (worker threads, or
 * gateway instances on one Redis) could both see the last free slot.
 * `tryBegin` checks and counts in one atomic step; the router claims the
 * slot that way and drops a pick whose slot another router took.
 */

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

/** Two routers' views of one state: two worker slots on one shared memory, or two instances on one Redis. */
async function twoSharing(kind: "shared-memory" | "redis", ids: string[], clock: FakeClock): Promise<[DeploymentStateStore, DeploymentStateStore]> {
  if (kind === "shared-memory") {
    const memory = allocateSharedStateMemory(ids, 2);
    return [new SharedMemoryStateStore(memory, 0, clock), new SharedMemoryStateStore(memory, 1, clock)];
  }
  const keyPrefix = `cap-${randomUUID()}:`;
  const store = async () => {
    const s = new RedisStateStore({ url: inject("redisUrl"), keyPrefix, commandTimeoutMs: 500, clock });
    cleanup.push(() => s.close());
    await vi.waitFor(() => expect(s.shared).toBe(true));
    return s;
  };
  return [await store(), await store()];
}

/** 40 claims under `caps` sent at once, alternating between two instances on one Redis: how many won, and deployment "d"'s stats after. */
async function concurrentRedisClaims(caps: BeginCaps): Promise<{ won: number; stats: DeploymentStats }> {
  const [a, b] = await twoSharing("redis", ["d"], new FakeClock());
  const claims = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? a : b).tryBegin("d", caps)));
  return { won: claims.filter(Boolean).length, stats: (await b.stats(["d"])).get("d")! };
}

describe("tryBegin: the max_parallel_requests slot is claimed atomically", () => {
  it("in one process: begins below the cap, refuses at it, frees with the lease", async () => {
    const store = new MemoryStateStore(new FakeClock());
    const first = await store.tryBegin("d", { maxInFlight: 2 });
    const second = await store.tryBegin("d", { maxInFlight: 2 });
    expect(first).toBeDefined();
    expect(second).toBeDefined();
    expect(await store.tryBegin("d", { maxInFlight: 2 })).toBeUndefined();
    expect(store.statsOf("d")).toMatchObject({ inFlight: 2, rpm: 2 }); // a refused claim counts nothing
    await first!.end();
    expect(await store.tryBegin("d", { maxInFlight: 2 })).toBeDefined();
  });

  for (const kind of ["shared-memory", "redis"] as const) {
    it(`across routers sharing ${kind} state: the cap holds whoever holds the slots`, async () => {
      const clock = new FakeClock();
      const [a, b] = await twoSharing(kind, ["d"], clock);
      const held = await a.tryBegin("d", { maxInFlight: 2 });
      expect(held).toBeDefined();
      expect(await b.tryBegin("d", { maxInFlight: 2 })).toBeDefined();
      expect(await a.tryBegin("d", { maxInFlight: 2 })).toBeUndefined();
      expect(await b.tryBegin("d", { maxInFlight: 2 })).toBeUndefined();
      expect((await b.stats(["d"])).get("d")).toMatchObject({ inFlight: 2, rpm: 2 });
      await held!.end();
      expect(await b.tryBegin("d", { maxInFlight: 2 })).toBeDefined();
      expect(await a.tryBegin("d", { maxInFlight: 2 })).toBeUndefined();
    });
  }

  it("across routers on Redis: concurrent claims for the last slots, exactly the cap wins", async () => {
    const { won, stats } = await concurrentRedisClaims({ maxInFlight: 3 });
    expect(won).toBe(3);
    expect(stats.inFlight).toBe(3);
  });

  for (const kind of ["memory", "shared-memory", "redis"] as const) {
    it(`holds this minute's rpm as a cap too (${kind}): ended calls still count, the next minute starts afresh`, async () => {
      const clock = new FakeClock();
      const [a, b] = kind === "memory" ? [new MemoryStateStore(clock), undefined] : await twoSharing(kind, ["d"], clock);
      const other = b ?? a;
      for (const store of [a, other, a]) await (await store.tryBegin("d", { rpm: 3 }))!.end();
      expect(await a.tryBegin("d", { rpm: 3 })).toBeUndefined();
      expect(await other.tryBegin("d", { rpm: 3, maxInFlight: 10 })).toBeUndefined();
      expect((await a.stats(["d"])).get("d")).toMatchObject({ rpm: 3, inFlight: 0 }); // refused claims count nothing
      await clock.advance(60_000);
      expect(await other.tryBegin("d", { rpm: 3 })).toBeDefined();
    });
  }

  for (const kind of ["memory", "shared-memory", "redis"] as const) {
    it(`reserves a call's estimated tokens under a tpm cap (${kind}): the cap holds calls in flight; the end counts the tokens used instead`, async () => {
      const clock = new FakeClock();
      const [a, b] = kind === "memory" ? [new MemoryStateStore(clock), undefined] : await twoSharing(kind, ["d"], clock);
      const other = b ?? a;
      const tpm = async () => (await a.stats(["d"])).get("d")!.tpm;
      const caps = { tpm: 1_000, tokens: 400 };
      const first = await a.tryBegin("d", caps);
      const second = await other.tryBegin("d", caps);
      expect(await tpm()).toBe(800);
      const third = await a.tryBegin("d", caps); // 800 < 1,000: admitted, and reserves past the cap (as an upstream counting max_tokens does)
      expect(third).toBeDefined();
      expect(await tpm()).toBe(1_200);
      expect(await other.tryBegin("d", caps)).toBeUndefined(); // at the cap while the three are in flight
      expect(await tpm()).toBe(1_200); // a refused claim reserves nothing
      await first!.end({ totalTokens: 150 }); // used 150 of its 400
      expect(await tpm()).toBe(950);
      await second!.end(); // failed: its reservation is given back
      expect(await tpm()).toBe(550);
      const fourth = await other.tryBegin("d", caps);
      expect(fourth).toBeDefined();
      await clock.advance(60_000); // the minute turns with calls in flight: their ends count what they used in the new one
      await third!.end({ totalTokens: 500 });
      await fourth!.end();
      expect(await tpm()).toBe(500);
    });
  }

  it("gives back the minute's tokens too when the in-flight cap refuses the claim (shared memory)", async () => {
    const clock = new FakeClock();
    const [a, b] = await twoSharing("shared-memory", ["d"], clock);
    const held = await a.tryBegin("d", { maxInFlight: 1, tpm: 10_000, tokens: 300 });
    expect(await b.tryBegin("d", { maxInFlight: 1, tpm: 10_000, tokens: 300 })).toBeUndefined();
    expect((await b.stats(["d"])).get("d")).toMatchObject({ rpm: 1, inFlight: 1, tpm: 300 });
    await held!.end({ totalTokens: 20 });
    expect((await b.stats(["d"])).get("d")).toMatchObject({ inFlight: 0, tpm: 20 });
  });

  it("across routers on Redis: concurrent claims under a tpm cap, exactly those whose reservations fit win", async () => {
    // 100 tokens each under 1,000: the claims seeing 0..900 win, the tenth takes it to 1,000 and every later one is refused.
    const { won, stats } = await concurrentRedisClaims({ tpm: 1_000, tokens: 100 });
    expect(won).toBe(10);
    expect(stats.tpm).toBe(1_000);
  });

  it("gives back the minute's request when the in-flight cap refuses the claim", async () => {
    const clock = new FakeClock();
    const [a, b] = await twoSharing("shared-memory", ["d"], clock);
    const held = await a.tryBegin("d", { maxInFlight: 1, rpm: 5 });
    expect(await b.tryBegin("d", { maxInFlight: 1, rpm: 5 })).toBeUndefined();
    expect((await b.stats(["d"])).get("d")).toMatchObject({ rpm: 1, inFlight: 1 });
    await held!.end();
  });

  it("across routers on Redis: concurrent claims for the minute's last requests, exactly the rpm wins", async () => {
    const { won, stats } = await concurrentRedisClaims({ rpm: 7 });
    expect(won).toBe(7);
    expect(stats.rpm).toBe(7);
  });

  it("across worker threads racing on shared memory: in flight never passes the cap", async () => {
    // Each thread records the highest in-flight count it saw right after a claim: a check-then-begin overshoots within a few thousand rounds.
    const { memory, results } = await race({ maxInFlight: 3 }, 20_000);
    expect(Math.max(...results.map((r) => r.highest))).toBeLessThanOrEqual(3);
    expect(results.every((r) => r.claimed > 0)).toBe(true);
    expect(new SharedMemoryStateStore(memory, 0, new FakeClock()).statsOf("d").inFlight).toBe(0);
  });

  it("across worker threads racing on shared memory: exactly the minute's rpm of claims win", async () => {
    const { results } = await race({ rpm: 1_000 }, 2_000);
    expect(results.reduce((sum, r) => sum + r.claimed, 0)).toBe(1_000);
  });
});

/** Four worker threads on one shared memory, each claiming and releasing deployment "d" under `caps` for `rounds` rounds, as fast as they can. */
async function race(caps: BeginCaps, rounds: number) {
  const memory = allocateSharedStateMemory(["d"], 4);
  const gate = new SharedArrayBuffer(4);
  const workers = Array.from(
    { length: 4 },
    (_, slot) =>
      new Worker(new URL("../support/parallel-cap-racer.ts", import.meta.url), {
        workerData: { memory, slot, caps, rounds, gate, threads: 4 },
        execArgv: ["--import", "tsx"],
      }),
  );
  const results = await Promise.all(workers.map(async (w) => (await once(w, "message"))[0] as { highest: number; claimed: number }));
  await Promise.all(workers.map((w) => w.terminate()));
  return { memory, results };
}

/**
 * A store whose stats are read a moment before another router begins: what
 * a pick sees when a second worker or instance takes the slot in between.
 */
class RaceLosingStore implements DeploymentStateStore {
  readonly shared = false;
  /** Begun by "another router" right after the next stats read, once per id listed. */
  readonly takenAfterRead = new Set<string>();
  readonly others: Lease[] = [];
  private readonly inner: MemoryStateStore;

  constructor(clock: FakeClock) {
    this.inner = new MemoryStateStore(clock);
  }

  // No view: selection reads stats() once per pick, as it does for Redis.
  async stats(ids: readonly string[]): Promise<Map<string, DeploymentStats>> {
    const seen = await this.inner.stats(ids);
    for (const id of this.takenAfterRead) this.others.push(await this.inner.begin(id));
    this.takenAfterRead.clear();
    return seen;
  }
  statsOf(id: string): DeploymentStats {
    return this.inner.statsOf(id);
  }
  begin = (id: string) => this.inner.begin(id);
  tryBegin = (id: string, caps: BeginCaps) => this.inner.tryBegin(id, caps);
  recordFailure = (id: string, error: string, windowMs: number) => this.inner.recordFailure(id, error, windowMs);
  coolDown = (id: string, until: number, error: string) => this.inner.coolDown(id, until, error);
  tryBeginTrial = (id: string, ttl: number) => this.inner.tryBeginTrial(id, ttl);
  recover = (id: string) => this.inner.recover(id);
  setHealth = (id: string, healthy: boolean, error: string) => this.inner.setHealth(id, healthy, error);
  setDrained = (id: string, drained: boolean) => this.inner.setDrained(id, drained);
  close = () => this.inner.close();
}

describe("the router under max_parallel_requests", () => {
  it("drops a pick whose last slot another router took after the read, and routes to the next", async () => {
    const store = new RaceLosingStore(new FakeClock());
    const t = routerFor(
      {
        model_list: [mockDeployment("g", "narrow", {}, { max_parallel_requests: 1, weight: 1000 }), mockDeployment("g", "wide", {}, { weight: 0.001 })],
      },
      { store },
    );
    store.takenAfterRead.add("narrow");
    const answer = await t.router.complete(chat("g"), ctx());
    expect(answer.deploymentId).toBe("wide");
    expect(store.statsOf("narrow").inFlight).toBe(1); // the other router's call only
    await Promise.all(store.others.map((l) => l.end()));
    expect((await t.router.complete(chat("g"), ctx())).deploymentId).toBe("narrow");
    expect(store.statsOf("narrow").inFlight).toBe(0); // the claimed slot was released when the call ended
  });

  it("answers NO_DEPLOYMENT_AVAILABLE when every slot went to another router, and waits instead with a wait queue", async () => {
    const config = (waitQueue: boolean) => ({
      model_list: [mockDeployment("g", "only", {}, { max_parallel_requests: 1 })],
      router_settings: waitQueue ? { wait_queue: { enabled: true, max_wait_ms: 5_000 } } : {},
    });
    const failing = new RaceLosingStore(new FakeClock());
    const t = routerFor(config(false), { store: failing });
    failing.takenAfterRead.add("only");
    const error = await t.router.complete(chat("g"), ctx()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).kind).toBe(ErrorKind.NO_DEPLOYMENT_AVAILABLE);
    expect((error as GatewayError).message).toMatch(/max_parallel_requests/);

    const clock = new FakeClock();
    const waiting = new RaceLosingStore(clock);
    const q = routerFor(config(true), { store: waiting, clock });
    waiting.takenAfterRead.add("only");
    const call = q.router.complete(chat("g"), ctx());
    await clock.advance(10);
    expect(waiting.others).toHaveLength(1); // the other router holds the slot; this call is queued
    await Promise.all(waiting.others.map((l) => l.end()));
    const { value } = await runOnClock(clock, call);
    expect(value.deploymentId).toBe("only");
  });
});

describe("the router under a tpm limit", () => {
  /** One deployment with tpm 1,000 answering in 100 ms; requests asking for up to 300 tokens (reserved: the prompt plus 300). */
  const tpmLimited = (router_settings: Record<string, unknown> = {}) =>
    routerFor({ model_list: [mockDeployment("g", "only", { latency_ms: 100 }, { tpm: 1_000 })], router_settings: { num_retries: 0, ...router_settings } });
  const ask = (i: number) => chat("g", `q${i}`, {}, { maxTokens: 300 });

  it("admits calls at once only while their reserved tokens fit: the rest are refused, not sent to overshoot the limit", async () => {
    const { router, clock } = tpmLimited();
    const outcomes = await runOnClock(
      clock,
      Promise.all(Array.from({ length: 6 }, (_, i) => router.complete(ask(i), ctx()).then(() => "served", (err: GatewayError) => err.kind))),
    );
    // Three reservations of ~305 fit under 1,000 and the fourth starts below it; the fifth and sixth see the limit reached.
    expect(outcomes.value).toEqual(["served", "served", "served", "served", ErrorKind.NO_DEPLOYMENT_AVAILABLE, ErrorKind.NO_DEPLOYMENT_AVAILABLE]);
    // Once the calls ended, the minute counts the tokens they used, not what they reserved.
    const used = (await router.store.stats(["only"])).get("only")!.tpm;
    expect(used).toBeGreaterThan(0);
    expect(used).toBeLessThan(4 * 300);
  });

  it("with a wait queue, the refused ones wait for the reservations to be replaced by what the calls used, then run", async () => {
    const { router, clock } = tpmLimited({ wait_queue: { enabled: true } });
    const done: number[] = [];
    const { elapsedMs } = await runOnClock(
      clock,
      Promise.all(Array.from({ length: 6 }, (_, i) => router.complete(ask(i), ctx()).then(() => void done.push(clock.now())))),
    );
    expect(done).toHaveLength(6);
    expect(elapsedMs).toBe(200); // four at once, then the two that waited, when the first ones ended (not at the next minute)
  });
});

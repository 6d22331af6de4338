import { create } from "@bufbuild/protobuf";
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterEach, describe, expect, inject, it, vi } from "vitest";
import { DeploymentHealth, GetRouterStateRequestSchema } from "../../gen/ts/switchyard/v1/admin_pb.js";
import { ErrorKind } from "../../gen/ts/switchyard/v1/inference_pb.js";
import { routerStateReader } from "../../src/router/router-state.js";
import { RedisStateStore } from "../../src/router/state/redis-store.js";
import { FakeClock } from "../support/fake-clock.js";
import { startRedisServer, type RedisServer } from "../support/redis-server.js";
import { chat, ctx, mockDeployment, routerFor, runOnClock, type RouterUnderTest } from "./support.js";

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

/** Two gateway instances' routers over one config, sharing state through the Redis at `url`. */
async function twoInstances(url: string, config: unknown, keyPrefix = `test-${randomUUID()}:`): Promise<[RouterUnderTest, RouterUnderTest]> {
  const clock = new FakeClock();
  const instance = async (seed: number) => {
    const store = new RedisStateStore({ url, keyPrefix, commandTimeoutMs: 500, clock });
    cleanup.push(() => store.close());
    await vi.waitFor(() => expect(store.shared).toBe(true)); // connected
    return routerFor(config, { clock, store, seed });
  };
  return [await instance(1), await instance(2)];
}

async function healthOf(t: RouterUnderTest, id: string) {
  const response = await routerStateReader(t.config, t.router.store, t.clock)(create(GetRouterStateRequestSchema, {}));
  return response.deployments.find((d) => d.deploymentId === id)!;
}

const failingAndHealthy = {
  model_list: [mockDeployment("g", "bad", { failure_rate: 1 }), mockDeployment("g", "good")],
  router_settings: { allowed_fails: 1, num_retries: 1, retry_backoff_ms: 1, cooldown_time_ms: 30_000 },
};

/** Calls through `t` until one call has hit "bad" (simple-shuffle picks at random). */
async function untilBadIsHit(t: RouterUnderTest) {
  for (let i = 0; i < 50; i++) {
    const { value } = await runOnClock(t.clock, t.router.complete(chat("g"), ctx()));
    if (value.attempts.some((a) => a.deploymentId === "bad")) return;
  }
  throw new Error("simple-shuffle never picked the failing deployment");
}

describe("Redis deployment state store", () => {
  it("shares a cooldown set by one instance with the other", async () => {
    const [a, b] = await twoInstances(inject("redisUrl"), failingAndHealthy);
    await untilBadIsHit(a);
    const seenByB = await healthOf(b, "bad");
    expect(seenByB.health).toBe(DeploymentHealth.COOLDOWN);
    expect(seenByB.lastError).toContain("UPSTREAM_UNAVAILABLE");
    for (let i = 0; i < 20; i++) {
      const answer = await b.router.complete(chat("g"), ctx());
      expect(answer.attempts.map((x) => x.deploymentId)).toEqual(["good"]);
    }
    expect((await routerStateReader(b.config, b.router.store, b.clock)(create(GetRouterStateRequestSchema, {}))).sharedStateAvailable).toBe(true);
  });

  it("adds up in-flight requests and this minute's rpm/tpm across instances", async () => {
    const [a, b] = await twoInstances(inject("redisUrl"), { model_list: [mockDeployment("g", "only", { latency_ms: 100 })] });
    const slow = a.router.complete(chat("g"), ctx());
    await vi.waitFor(async () => expect((await b.router.store.stats(["only"])).get("only")!.inFlight).toBe(1));
    const first = (await runOnClock(a.clock, slow)).value;

    const answers = [first];
    for (let i = 0; i < 3; i++) answers.push((await runOnClock(a.clock, a.router.complete(chat("g", `a${i}`), ctx()))).value);
    for (let i = 0; i < 4; i++) answers.push((await runOnClock(b.clock, b.router.complete(chat("g", `b${i}`), ctx()))).value);
    const tokens = answers.reduce((sum, r) => sum + r.usage!.totalTokens, 0);
    for (const t of [a, b]) {
      expect((await t.router.store.stats(["only"])).get("only")).toMatchObject({ inFlight: 0, rpm: 8, tpm: tokens });
    }
  });

  it("lets usage-based routing on one instance see the other's usage", async () => {
    const config = {
      model_list: [mockDeployment("g", "x", {}, { tpm: 100_000 }), mockDeployment("g", "y", {}, { tpm: 100_000 })],
      router_settings: { routing_strategy: "usage-based" },
    };
    const [a, b] = await twoInstances(inject("redisUrl"), config);
    // Equal prompts use equal tokens, so instance a alternates x and y: after 9 calls one of them has served 5, the other 4.
    for (let i = 0; i < 9; i++) await a.router.complete(chat("g", "some words to use tokens"), ctx());
    const afterA = await b.router.store.stats(["x", "y"]);
    expect([afterA.get("x")!.rpm, afterA.get("y")!.rpm].sort()).toEqual([4, 5]);
    const quieter = afterA.get("x")!.rpm === 4 ? "x" : "y";
    // b has served nothing itself, yet sends its call to the deployment a used less.
    expect((await b.router.complete(chat("g", "some words to use tokens"), ctx())).deploymentId).toBe(quieter);
    const both = await a.router.store.stats(["x", "y"]);
    expect(both.get("x")).toMatchObject({ rpm: 5, tpm: both.get("y")!.tpm });
  });

  it("keeps serving on local state while Redis is down and shares state again when it returns", async () => {
    const server: RedisServer = await startRedisServer();
    let current = server;
    cleanup.push(() => current.stop());
    const keyPrefix = `test-${randomUUID()}:`;
    const [a, b] = await twoInstances(server.url, failingAndHealthy, keyPrefix);

    await current.stop();
    await vi.waitFor(() => expect([a.router.store.shared, b.router.store.shared]).toEqual([false, false]));
    for (let i = 0; i < 20; i++) {
      const { value } = await runOnClock(a.clock, a.router.complete(chat("g"), ctx()));
      expect(value.deploymentId).toBe("good");
      expect((await runOnClock(b.clock, b.router.complete(chat("g"), ctx()))).value.deploymentId).toBe("good");
    }
    // a cooled "bad" down on its own while Redis was away.
    expect((await healthOf(a, "bad")).health).toBe(DeploymentHealth.COOLDOWN);
    const stateWhileDown = await routerStateReader(a.config, a.router.store, a.clock)(create(GetRouterStateRequestSchema, {}));
    expect(stateWhileDown.sharedStateAvailable).toBe(false);

    current = await startRedisServer(server.port);
    await vi.waitFor(() => expect(a.router.store.shared && b.router.store.shared).toBe(true), { timeout: 10_000, interval: 50 });
    // The restarted Redis is empty: a's cooldown reached it through the resync after reconnecting.
    const raw = new Redis(current.url);
    cleanup.push(async () => raw.disconnect());
    await vi.waitFor(async () => expect(Number(await raw.hget(`${keyPrefix}router:bad`, "cooldown_until"))).toBeGreaterThan(a.clock.now()));
    // And new shared state flows again: b's requests are counted where a sees them.
    const before = (await a.router.store.stats(["good"])).get("good")!.rpm;
    await b.router.complete(chat("g"), ctx());
    expect((await a.router.store.stats(["good"])).get("good")!.rpm).toBe(before + 1);
  });

  it("treats a Redis slower than command_timeout_ms as down for the request instead of waiting on it", async () => {
    const server = await startRedisServer();
    cleanup.push(() => server.stop());
    const clock = new FakeClock();
    const store = new RedisStateStore({ url: server.url, keyPrefix: `test-${randomUUID()}:`, commandTimeoutMs: 100, clock });
    cleanup.push(() => store.close());
    await vi.waitFor(() => expect(store.shared).toBe(true)); // connected
    const t = routerFor({ model_list: [mockDeployment("g", "only")] }, { clock, store });
    const raw = new Redis(server.url);
    cleanup.push(async () => raw.disconnect());
    await raw.call("CLIENT", "PAUSE", "3000", "ALL");

    const started = performance.now();
    const answer = await t.router.complete(chat("g"), ctx());
    expect(answer.deploymentId).toBe("only");
    expect(performance.now() - started).toBeLessThan(1_500); // one timed-out command, then local state
    expect(store.shared).toBe(false);
    expect((await store.stats(["only"])).get("only")).toMatchObject({ rpm: 1, inFlight: 0 });
  });

  it("lets only one instance run the half-open trial, and its success recovers the deployment for both", async () => {
    const [a, b] = await twoInstances(inject("redisUrl"), {
      model_list: [mockDeployment("g", "only", { fail_first_calls: 1, latency_ms: 100 })],
      router_settings: { allowed_fails: 1, num_retries: 0, cooldown_time_ms: 1_000 },
    });
    await runOnClock(a.clock, a.router.complete(chat("g"), ctx())).catch(() => undefined);
    expect((await healthOf(b, "only")).health).toBe(DeploymentHealth.COOLDOWN);
    await a.clock.advance(1_000);
    expect((await healthOf(b, "only")).health).toBe(DeploymentHealth.HALF_OPEN);

    const trial = a.router.complete(chat("g"), ctx());
    await vi.waitFor(async () => expect((await b.router.store.stats(["only"])).get("only")!.inFlight).toBe(1));
    await expect(b.router.complete(chat("g"), ctx())).rejects.toMatchObject({ message: expect.stringContaining("half-open with a trial call running") });

    expect((await runOnClock(a.clock, trial)).value.deploymentId).toBe("only");
    expect((await healthOf(b, "only")).health).toBe(DeploymentHealth.HEALTHY);
    // b calls it again rather than skipping it (b's own mock adapter fails its first call, as scripted).
    await expect(runOnClock(b.clock, b.router.complete(chat("g"), ctx()))).rejects.toMatchObject({ kind: ErrorKind.UPSTREAM_UNAVAILABLE });
  });

  describe("instance leases", () => {
    const LEASE_MS = 300;
    async function store(url: string, keyPrefix: string) {
      const s = new RedisStateStore({ url, keyPrefix, commandTimeoutMs: 500, clock: new FakeClock(), instanceLeaseMs: LEASE_MS });
      cleanup.push(() => s.close());
      await vi.waitFor(() => expect(s.shared).toBe(true));
      return s;
    }

    it("stops counting a dead instance's in-flight requests within its lease plus one heartbeat", async () => {
      const url = inject("redisUrl");
      const keyPrefix = `lease-${randomUUID()}:`;
      const [dying, survivor] = [await store(url, keyPrefix), await store(url, keyPrefix)];
      await dying.begin("d");
      await dying.begin("d");
      await survivor.begin("d");
      expect((await survivor.stats(["d"])).get("d")!.inFlight).toBe(3);

      // Like SIGKILL as far as Redis can tell: no more heartbeats, no lease.end().
      const diedAt = Date.now();
      await dying.close();
      await vi.waitFor(async () => expect((await survivor.stats(["d"])).get("d")!.inFlight).toBe(1), { timeout: 5_000, interval: 20 });
      // Bound: lease + one heartbeat (LEASE_MS / 3), plus slack for a loaded 2-core machine.
      expect(Date.now() - diedAt).toBeLessThan(LEASE_MS + LEASE_MS / 3 + 700);
    });

    it("keeps counting a live instance's long requests across many leases", async () => {
      const url = inject("redisUrl");
      const keyPrefix = `lease-${randomUUID()}:`;
      const [busy, reader] = [await store(url, keyPrefix), await store(url, keyPrefix)];
      const lease = await busy.begin("d");
      await new Promise((resolve) => setTimeout(resolve, LEASE_MS * 4)); // its heartbeat renews the lease meanwhile
      expect((await reader.stats(["d"])).get("d")!.inFlight).toBe(1);
      await lease.end();
      expect((await reader.stats(["d"])).get("d")!.inFlight).toBe(0);
    });
  });
});

import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { AdminService, DeploymentHealth } from "../../gen/ts/switchyard/v1/admin_pb.js";
import { CacheLayer, InferenceService } from "../../gen/ts/switchyard/v1/inference_pb.js";
import { startRedisCluster, type RedisCluster } from "../support/emulators/redis-topologies.js";
import { startGatewayProcess, type GatewayProcess } from "../support/gateway-process.js";

/**
 * N gateway instances = one gateway: three real `switchyard serve`
 * processes sharing one real Redis (router state and cache) behave as one
 * gateway would. The bounds asserted here are the ones the README's
 * "Deploy" section promises.
 */
export const FLEET_BOUNDS = {
  /** A cooldown is visible to every instance for any call started after the failing call returned (the write is awaited first). */
  cooldownVisibleAfterMs: 0,
  /** Group rpm limit 60, 100 calls at once spread over three instances: exactly 60 succeed (each request of the minute is claimed atomically in Redis). */
  rpmLimit: 60,
  /** A cached answer written through one instance is a hit through the others within this long (the write to Redis is not awaited by the caller). */
  cacheVisibleWithinMs: 1_000,
  /** least-busy / usage-based: each deployment's share within this many calls of an even split (one gateway: the same check). */
  spreadTolerance: 3,
  /** A SIGKILLed instance's in-flight calls stop counting within its lease (3 s) + one heartbeat (1 s); 2 s slack for a loaded CI machine. */
  deadInFlightGoneWithinMs: 3_000 + 1_000 + 2_000,
} as const;

const RPM_CALLS = 100;
/** Time left in the clock minute the rpm test needs to start its calls: far more than they take even on a loaded machine. */
const RPM_RUN_ROOM_MS = 5_000;
const SPREAD_DEPLOYMENTS = ["spread-a", "spread-b", "spread-c"];
const SPREAD_LATENCY_MS = 400;

interface Instance {
  process: GatewayProcess;
  inference: Client<typeof InferenceService>;
  admin: Client<typeof AdminService>;
}

function connect(process: GatewayProcess): Instance {
  const transport = createGrpcTransport({ baseUrl: process.url });
  return { process, inference: createClient(InferenceService, transport), admin: createClient(AdminService, transport) };
}

/** One Redis server (the run's shared one), or a Redis Cluster's seed nodes. */
type Topology = { url: string } | { clusterNodes: string[] };

function fleetConfig(strategy: "least-busy" | "usage-based", keyPrefix: string, topology: Topology): string {
  const redis = "url" in topology ? { url: topology.url } : { cluster_nodes: topology.clusterNodes };
  const cacheLayer = "url" in topology ? {} : { cluster_nodes: topology.clusterNodes };
  const mock = (params: Record<string, unknown> = {}) => ({ provider: "mock", params: { model: "mock-1", mock: params } });
  return JSON.stringify({
    model_list: [
      { model_name: "cool", id: "cool-fine", ...mock() },
      { model_name: "cool", id: "cool-broken", ...mock({ failure_rate: 1 }) },
      { model_name: "limited", id: "limited-1", rpm: FLEET_BOUNDS.rpmLimit, ...mock() },
      { model_name: "cached", id: "cached-1", ...mock() },
      // rpm limits only give usage-based a quota to balance; far above what the test sends.
      ...SPREAD_DEPLOYMENTS.map((id) => ({ model_name: "spread", id, rpm: 100_000, ...mock({ latency_ms: SPREAD_LATENCY_MS }) })),
      { model_name: "hold", id: "hold-1", ...mock({ latency_ms: 120_000 }) },
    ],
    router_settings: { routing_strategy: strategy, allowed_fails: 1, num_retries: 0, retry_backoff_ms: 0, cooldown_time_ms: 600_000 },
    cache_settings: { enabled: true, layers: [{ redis: cacheLayer }], namespace: "fleet" },
    redis: { ...redis, key_prefix: keyPrefix, command_timeout_ms: 1_000 },
  });
}

async function startFleet(strategy: "least-busy" | "usage-based", topology: Topology = { url: inject("redisUrl") }, size = 3): Promise<Instance[]> {
  const config = fleetConfig(strategy, `fleet-${randomUUID()}:`, topology);
  const processes = await Promise.all(Array.from({ length: size }, () => startGatewayProcess(config)));
  return processes.map(connect);
}

const ask = (i: Instance, model: string, content: string) => i.inference.complete({ model, messages: [{ role: "user", content }] });

async function inFlightOf(i: Instance, group: string, id: string): Promise<number> {
  const state = await i.admin.getRouterState({ modelGroup: group });
  return state.deployments.find((d) => d.deploymentId === id)!.inFlight;
}

/**
 * Polls `check` until it returns true; returns how long that took, or throws
 * after `timeoutMs`. Polling is the only option here: what the checks wait
 * for (a call parked in another gateway process, a dead instance's lease
 * expiring, a cache write landing in Redis) happens in other processes that
 * send this one no event, and some of it is itself a bound measured in time.
 */
async function timeUntil(check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await check()) return Date.now() - started;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}

function countBy(ids: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
  return counts;
}

/**
 * `total` calls of `spread`, one every `gapMs`, round-robin over `instances`;
 * the deployment each landed on. The gap shapes the load (how many calls
 * overlap), it waits for nothing. `sent(n)` is told once the n-th call is sent.
 */
async function spreadLoad(instances: Instance[], total: number, gapMs: number, sent: (n: number) => void = () => {}): Promise<string[]> {
  const calls: Array<Promise<string>> = [];
  for (let n = 0; n < total; n++) {
    calls.push(ask(instances[n % instances.length]!, "spread", `spread ${randomUUID()}`).then((r) => r.deploymentId));
    sent(n + 1);
    if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
  }
  return Promise.all(calls);
}

function expectEvenSpread(landed: string[]) {
  const even = landed.length / SPREAD_DEPLOYMENTS.length;
  const counts = countBy(landed);
  for (const id of SPREAD_DEPLOYMENTS) {
    expect(Math.abs((counts.get(id) ?? 0) - even), `${id}: ${JSON.stringify([...counts])}`).toBeLessThanOrEqual(FLEET_BOUNDS.spreadTolerance);
  }
}

/** The least-busy fleet's guarantees, on whichever Redis topology `start` gives the fleet. */
function leastBusyFleetSuite(start: () => Promise<Instance[]>, stop: () => Promise<void> = async () => {}) {
  let fleet: Instance[] = [];
  beforeAll(async () => {
    fleet = await start();
  }, 180_000);
  afterAll(async () => {
    await Promise.all(fleet.map((i) => i.process.kill()));
    await stop();
  });

  it("honours on every instance a cooldown caused through one, from the next call on", async () => {
    const [a, ...others] = fleet;
    let failed = false;
    for (let n = 0; n < 50 && !failed; n++) {
      failed = await ask(a!, "cool", `cool ${n}`).then(
        () => false,
        () => true,
      );
    }
    expect(failed, "least-busy never picked the failing deployment").toBe(true);
    // No wait (bound: FLEET_BOUNDS.cooldownVisibleAfterMs): the failing call returned only after the cooldown was written.
    for (const other of others) {
      const state = await other.admin.getRouterState({ modelGroup: "cool" });
      expect(state.deployments.find((d) => d.deploymentId === "cool-broken")!.health).toBe(DeploymentHealth.COOLDOWN);
      for (let n = 0; n < 10; n++) {
        const answer = await ask(other, "cool", `after ${randomUUID()}`); // unique: a cache hit makes no attempt
        expect(answer.attempts.map((t) => t.deploymentId)).toEqual(["cool-fine"]);
      }
    }
  });

  it(`lets exactly ${FLEET_BOUNDS.rpmLimit} of ${RPM_CALLS} calls through a group rpm limit of ${FLEET_BOUNDS.rpmLimit} when they all arrive at once, spread over the instances`, async () => {
    // rpm counts per clock minute, and the gateways read the system clock in their own processes (no clock to fake
    // there), so the one thing to wait for is a minute with room for the whole run: the wait is for that instant.
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 60_000 - RPM_RUN_ROOM_MS) await new Promise((r) => setTimeout(r, 60_000 - intoMinute + 100));
    const minuteAtStart = Math.floor(Date.now() / 60_000);
    const outcome = (call: Promise<unknown>) =>
      call.then(
        () => true,
        (err: unknown) => {
          // Over the limit: no deployment available, never another failure.
          expect(ConnectError.from(err).code).toBe(Code.Unavailable);
          expect(ConnectError.from(err).rawMessage).toContain("rpm limit");
          return false;
        },
      );
    // All at once: every instance's picks read the count before any call began, so only the atomic claim
    // (a Lua script per request) keeps the total to the limit.
    const answers = await Promise.all(
      Array.from({ length: RPM_CALLS }, (_, i) => outcome(ask(fleet[i % fleet.length]!, "limited", `limited ${randomUUID()}`))),
    );
    const succeeded = answers.filter(Boolean).length;
    const crossedMinute = Math.floor(Date.now() / 60_000) !== minuteAtStart ? " (the run crossed a minute boundary: a new rpm window)" : "";
    expect(succeeded, `${succeeded} succeeded${crossedMinute}`).toBe(FLEET_BOUNDS.rpmLimit);
  });

  it("answers from the shared cache through every instance once one instance stored the answer", async () => {
    const [a, ...others] = fleet;
    const prompt = `cache me ${randomUUID()}`;
    const first = await ask(a!, "cached", prompt);
    expect(first.cache?.hit ?? false).toBe(false);
    for (const other of others) {
      const tookMs = await timeUntil(async () => (await ask(other, "cached", prompt)).cache?.hit === true, FLEET_BOUNDS.cacheVisibleWithinMs + 2_000);
      expect(tookMs).toBeLessThanOrEqual(FLEET_BOUNDS.cacheVisibleWithinMs);
      const hit = await ask(other, "cached", prompt);
      expect(hit.cache).toMatchObject({ hit: true, layer: CacheLayer.REDIS });
      expect(hit.choices[0]!.message!.content).toEqual(first.choices[0]!.message!.content);
    }
  });

  it("spreads overlapping calls over the deployments as evenly as one gateway does (least-busy)", async () => {
    // 60 calls 5 ms apart, each taking 400 ms: up to 60 in flight at once, so each pick depends on the others' in-flight counts.
    expectEvenSpread(await spreadLoad(fleet.slice(0, 1), 60, 5)); // one gateway
    expectEvenSpread(await spreadLoad(fleet, 60, 5)); // three gateways
  });

  it("keeps serving when one instance is SIGKILLed mid-load, and stops counting its in-flight calls within the bound", async () => {
    const [a, b, victim] = fleet;
    const held = Array.from({ length: 4 }, () => ask(victim!, "hold", `held ${randomUUID()}`).catch(() => "gone"));
    await timeUntil(async () => (await inFlightOf(a!, "hold", "hold-1")) === 4, 10_000);

    // The victim dies once the load is under way (each call takes 400 ms) and while more of it is still to be sent.
    let underWay!: () => void;
    const loadUnderWay = new Promise<void>((resolve) => (underWay = resolve));
    const load = spreadLoad([a!, b!], 40, 20, (n) => n === 10 && underWay());
    await loadUnderWay;
    await victim!.process.kill();
    const gone = await timeUntil(async () => (await inFlightOf(a!, "hold", "hold-1")) === 0 && (await inFlightOf(b!, "hold", "hold-1")) === 0, 20_000);

    expect(gone).toBeLessThanOrEqual(FLEET_BOUNDS.deadInFlightGoneWithinMs);
    expect(await load).toHaveLength(40); // every call through the survivors succeeded
    expect(await Promise.all(held)).toEqual(["gone", "gone", "gone", "gone"]);
  });
}

describe("three gateway processes sharing one Redis behave as one gateway (least-busy)", () => {
  leastBusyFleetSuite(() => startFleet("least-busy"));
});

describe("three gateway processes sharing a three-master Redis Cluster (state store and cache) behave as one gateway", () => {
  let cluster: RedisCluster | undefined;
  leastBusyFleetSuite(
    async () => {
      cluster = await startRedisCluster(3);
      return startFleet("least-busy", { clusterNodes: cluster.nodes });
    },
    async () => cluster?.stop(),
  );
});

describe("three gateway processes sharing one Redis behave as one gateway (usage-based)", () => {
  let fleet: Instance[] = [];
  beforeAll(async () => {
    fleet = await startFleet("usage-based");
  }, 120_000);
  afterAll(async () => {
    await Promise.all(fleet.map((i) => i.process.kill()));
  });

  it("spreads calls over the deployments by this minute's usage as one gateway does", async () => {
    expectEvenSpread(await spreadLoad(fleet.slice(0, 1), 30, 15));
    expectEvenSpread(await spreadLoad(fleet, 60, 15));
  });
});

/**
 * Microbench of deployment selection at scale: `npx tsx bench/selection.ts [iterations]`
 * (npm run bench:selection).
 *
 * Times the router's whole pick for one request (read the group's stats
 * from the in-memory state store, filter for eligibility, run the
 * strategy, or rendezvous hashing for a group with cache affinity; with
 * CLAIM=1 also the claim of the chosen deployment's request of the minute,
 * released at once, which begins the call and is a Redis round trip there) in
 * groups of 10, 100 and 1,000 deployments with live-looking stats
 * (latency samples, rpm/tpm use, tpm and context limits), over the in-memory store (one
 * process) and the shared-memory store (worker threads), and with
 * STORES=redis-mirror,redis over a Redis you started (REDIS_URL): the Redis
 * store's local mirror (router_settings.state_sync_ms 100; also times one
 * mirror refresh, the background read every interval) and its exact mode
 * (state_sync_ms 0: a pipelined read per pick). Target: <= 20 µs
 * per selection at 1,000 deployments for every strategy. Prints a Markdown
 * table per store (wall-clock µs per selection, then this process's CPU µs
 * per selection, the steadier number on a loaded machine); with --json,
 * also writes bench/results/selection.json.
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { create } from "@bufbuild/protobuf";
import { CompletionRequestSchema } from "../gen/ts/switchyard/v1/inference_pb.js";
import { parseConfig } from "../src/config/load.js";
import { resolveConfig, type ResolvedDeployment } from "../src/config/resolve.js";
import { builtinProviders } from "../src/providers/registry.js";
import type { Eligible } from "../src/router/eligibility.js";
import { DeploymentRuntime } from "../src/router/deployment-runtime.js";
import { MemoryStateStore } from "../src/router/state/memory-store.js";
import { allocateSharedStateMemory, SharedMemoryStateStore } from "../src/router/state/shared-memory-store.js";
import { RedisStateStore } from "../src/router/state/redis-store.js";
import type { DeploymentStateStore } from "../src/router/state/state-store.js";
import { Router } from "../src/router/router.js";
import type { PickRequest } from "../src/router/strategy.js";
import { seededRandom } from "../src/util/random.js";
import { systemClock } from "../src/util/clock.js";

const iterations = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 20_000);
/** SIZES=1000 and STRATEGIES=usage-based,latency-based narrow the run (when working on one row). */
const SIZES = process.env.SIZES ? process.env.SIZES.split(",").map(Number) : [10, 100, 1_000];
const STRATEGIES = process.env.STRATEGIES ? process.env.STRATEGIES.split(",") : ["simple-shuffle", "least-busy", "usage-based", "latency-based", "cost-based", "affinity"];
/** STORES=memory,shared-memory,redis-mirror,redis picks the stores; the Redis ones need REDIS_URL (a server you started) and are not in the default set. */
const STORES = (process.env.STORES ? process.env.STORES.split(",") : ["memory", "shared-memory"]) as StoreKind[];
/** redis: state_sync_ms 0 (a Redis read per pick); redis-mirror: state_sync_ms MIRROR_SYNC_MS (picks read the local mirror). */
type StoreKind = "memory" | "shared-memory" | "redis" | "redis-mirror";
const MIRROR_SYNC_MS = 100;

function storeFor(kind: StoreKind, ids: readonly string[]): DeploymentStateStore {
  if (kind === "memory") return new MemoryStateStore(systemClock);
  // Two worker slots, as a two-worker pool has: in-flight counts are summed over the slots on read.
  if (kind === "shared-memory") return new SharedMemoryStateStore(allocateSharedStateMemory(ids, 2), 0, systemClock);
  const url = process.env.REDIS_URL;
  if (!url) throw new Error("STORES=redis needs REDIS_URL");
  const stateSyncMs = kind === "redis-mirror" ? MIRROR_SYNC_MS : 0;
  return new RedisStateStore({ url, keyPrefix: `bench-selection-${process.pid}-${kind}-${ids.length}:`, commandTimeoutMs: 5_000, clock: systemClock, stateSyncMs });
}

const isRedis = (kind: StoreKind) => kind === "redis" || kind === "redis-mirror";

/** The router's selection step, reached the way routeWithinGroup reaches it. */
interface Chooser {
  choose(group: string, deployments: readonly ResolvedDeployment[], pick: PickRequest, failedHere: ReadonlySet<string>, preferred?: ResolvedDeployment): Promise<Eligible>;
  adjustPending(id: string, delta: number): void;
  affinityPick(route: unknown, policy: { prefixMessages: number }, deployments: readonly ResolvedDeployment[]): ResolvedDeployment | undefined;
}

/** CLAIM=1: deployments have rpm limits, so each timed pick includes claiming (and releasing) the chosen deployment's slot. */
const CLAIM = process.env.CLAIM === "1";

function configFor(size: number, strategy: string): string {
  const affinity = strategy === "affinity";
  return JSON.stringify({
    model_list: Array.from({ length: size }, (_, i) => ({
      model_name: "g",
      id: `d${i}`,
      provider: "mock",
      params: { model: "mock-1" },
      // rpm makes every pick claim the chosen deployment's request of the minute (the call begins: in Redis, a round
      // trip), which is not selection: only with CLAIM=1. tpm and max_input_tokens give the scan limits to check.
      ...(CLAIM ? { rpm: 100_000 + i } : {}),
      tpm: 10_000_000 + i,
      max_input_tokens: 100_000,
      input_cost_per_token: 0.000001 * (1 + (i % 7)),
      output_cost_per_token: 0.000002 * (1 + (i % 5)),
    })),
    router_settings: {
      routing_strategy: affinity ? "simple-shuffle" : strategy,
      model_group_settings: affinity ? [{ model: "g", affinity: { enabled: true } }] : [],
    },
  });
}

async function bench(size: number, strategy: string, kind: StoreKind): Promise<{ wallUs: number; cpuUs: number; refreshMs?: number }> {
  const providers = builtinProviders();
  const config = resolveConfig(parseConfig(configFor(size, strategy), "bench", { providers }), providers);
  const store = storeFor(kind, config.deployments.map((d) => d.id));
  const router = new Router(new DeploymentRuntime(config, providers, { clock: systemClock }), { random: seededRandom(1), store });
  const deployments = config.groups.get("g")!;
  // The Redis store answers from local state until it has connected: wait, so the rows time Redis.
  for (let waited = 0; isRedis(kind) && !store.shared; waited += 50) {
    if (waited > 10_000) throw new Error("Redis at REDIS_URL did not connect within 10 s");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  // Live-looking stats: every deployment has served calls with its own latency.
  const dice = seededRandom(2);
  for (const d of deployments) {
    const lease = await router.store.begin(d.id);
    await lease.end({ totalTokens: Math.floor(dice() * 1000), latencyPerTokenMs: 5 + dice() * 20, ttftMs: 100 + dice() * 400 });
  }
  const chooser = router as unknown as Chooser;
  const pick: PickRequest = { streaming: false, promptTokens: 500, completionTokens: 256 };
  const request = create(CompletionRequestSchema, { model: "g", messages: [{ role: "system", content: "You are helpful." }, { role: "user", content: "hi" }] });
  const none = new Set<string>();
  const once = async (i: number) => {
    let preferred: ResolvedDeployment | undefined;
    if (strategy === "affinity") {
      const options = { affinityKey: `session-${i % 512}` } as never;
      preferred = chooser.affinityPick({ options, completion: request }, { prefixMessages: 1 }, deployments);
    }
    const chosen = await chooser.choose("g", deployments, pick, none, preferred);
    // A deployment with an rpm limit (all of them here) is claimed by the pick itself (the call begins): end it, so
    // the row includes the claim and its release; otherwise undo the pick's pending count, as beginning would.
    if (chosen.lease) await chosen.lease.end();
    else chooser.adjustPending(chosen.deployment.id, -1);
  };
  // Redis picks are a network round trip each: fewer of them.
  const scale = kind === "redis" ? 0.02 : 1;
  // The mirror's background step (every MIRROR_SYNC_MS while the list is picked from): what it costs this process.
  let refreshMs: number | undefined;
  if (kind === "redis-mirror") {
    await once(0); // the list's first pick: its view joins the refreshes
    const redisStore = store as RedisStateStore;
    const rounds = 20;
    const began = performance.now();
    for (let r = 0; r < rounds; r++) await redisStore.refreshMirror();
    refreshMs = (performance.now() - began) / rounds;
  }
  for (let i = 0; i < Math.min(iterations, 5_000) * scale; i++) await once(i); // warm up the JIT
  const n = Math.ceil((size >= 1_000 ? Math.max(1_000, Math.floor(iterations / 4)) : iterations) * scale);
  // Three timed blocks, the median reported: one block that a GC pause or a neighbour's burst lands in does not make the row.
  const blocks: Array<{ wallUs: number; cpuUs: number }> = [];
  for (let block = 0; block < 3; block++) {
    const start = performance.now();
    const cpu = process.cpuUsage();
    for (let i = 0; i < n; i++) await once(i);
    const wallUs = ((performance.now() - start) * 1000) / n;
    const used = process.cpuUsage(cpu);
    blocks.push({ wallUs, cpuUs: (used.user + used.system) / n });
  }
  await router.close();
  return { ...blocks.sort((a, b) => a.wallUs - b.wallUs)[1]!, refreshMs };
}

type Row = { store: StoreKind; strategy: string; deployments: number; usPerSelection: number; cpuUsPerSelection: number; msPerMirrorRefresh?: number };
const rows: Row[] = [];
const refreshes = new Map<number, number[]>();
/**
 * Each store is timed in a process of its own, as a gateway runs one store
 * (the in-memory one, or shared memory under worker threads): timing both
 * in one process would make the selection code see both stores' views and
 * time code V8 optimised for a mix no gateway runs.
 */
if (STORES.length > 1) {
  for (const kind of STORES) {
    const child = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1).filter((a) => a !== "--json"), "--rows-to-stdout"], {
      env: { ...process.env, STORES: kind },
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    });
    if (child.status !== 0) throw new Error(`bench for the ${kind} store exited with ${child.status}`);
    const [table, json] = child.stdout.split("\nROWS ");
    process.stdout.write(`${table}\n`);
    rows.push(...(JSON.parse(json!) as Row[]));
  }
} else for (const kind of STORES) {
  console.log(`\n${kind} store: wall-clock µs per selection (CPU µs)\n`);
  console.log(`| strategy | ${SIZES.map((s) => `${s.toLocaleString("en")} deployments`).join(" | ")} |`);
  console.log(`|---|${SIZES.map(() => "---:").join("|")}|`);
  for (const strategy of STRATEGIES) {
    const cells: string[] = [];
    for (const size of SIZES) {
      const { wallUs, cpuUs, refreshMs } = await bench(size, strategy, kind);
      const msPerMirrorRefresh = refreshMs === undefined ? undefined : Math.round(refreshMs * 100) / 100;
      rows.push({ store: kind, strategy, deployments: size, usPerSelection: Math.round(wallUs * 100) / 100, cpuUsPerSelection: Math.round(cpuUs * 100) / 100, msPerMirrorRefresh });
      if (refreshMs !== undefined) refreshes.set(size, [...(refreshes.get(size) ?? []), refreshMs]);
      cells.push(`${wallUs.toFixed(2)} µs (${cpuUs.toFixed(2)})`);
    }
    console.log(`| ${strategy} | ${cells.join(" | ")} |`);
  }
  if (kind === "redis-mirror") {
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    console.log(`\nmirror refresh (one pipelined read of the list, every ${MIRROR_SYNC_MS} ms while picked from): ${SIZES.map((s) => `${median(refreshes.get(s) ?? [Number.NaN]).toFixed(2)} ms at ${s.toLocaleString("en")}`).join(", ")}`);
  }
}
if (process.argv.includes("--rows-to-stdout")) process.stdout.write(`\nROWS ${JSON.stringify(rows)}\n`);
if (process.argv.includes("--json")) writeFileSync("bench/results/selection.json", `${JSON.stringify({ iterations, rows }, null, 2)}\n`);

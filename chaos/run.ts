/**
 * The fault suite: `npm run chaos` (full) or `npm run chaos -- --quick`
 * (CI). Runs the real gateway process on loopback against a fault-injecting
 * upstream, under bounded load, one scenario at a time; writes
 * docs/reliability.md and exits 1 when any scenario breaks its bound.
 */
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { summarize } from "../bench/lib/stats.js";
import { AdminService, DeploymentHealth } from "../gen/ts/switchyard/v1/admin_pb.js";
import { InferenceService } from "../gen/ts/switchyard/v1/inference_pb.js";
import { GatewayProcess } from "./gateway-process.js";
import { ChaosUpstream } from "./upstream.js";
import { startRedisServer } from "../test/support/redis-server.js";
import { s3Layer, startS3 } from "./s3-emulator.js";

const QUICK = process.argv.includes("--quick");
/** `--only=<text>`: run just the scenarios whose name contains it (case-insensitive); the report then lists only those. */
const ONLY = process.argv.find((a) => a.startsWith("--only="))?.slice("--only=".length).toLowerCase();
const selected = (scenario: string): boolean => ONLY === undefined || scenario.toLowerCase().includes(ONLY);
const SCALE = QUICK ? { load: 200, leak: 2_000, idle: 300, sigterm: 3, s3: 200, concurrency: 10 } : { load: 2_000, leak: 20_000, idle: 1_000, sigterm: 20, s3: 1_000, concurrency: 20 };
const FIRST_REQUEST_TIMEOUT_MS = 1_000;
const S3_SCENARIO = "S3 emulator killed and restarted mid-load (cache layer)";
const S3_LAYER_TIMEOUT_MS = 500;
const S3_OUTAGE_MS = 1_000;

interface Row {
  scenario: string;
  requests: number;
  failures: number;
  p50Ms: number;
  p99Ms: number;
  rssBeforeMb: number;
  rssAfterMb: number;
  operator: string;
  bound: string;
  ok: boolean;
}

function config(upstream: ChaosUpstream) {
  const dep = (group: string, fault: string, extra: Record<string, unknown> = {}) => ({
    model_name: group,
    provider: "openai",
    id: `${group}/${fault}`,
    params: { model: "gpt-4o", api_base: upstream.base(fault), api_key: "sk-chaos-0123456789abcdef" },
    ...extra,
  });
  return {
    model_list: [
      dep("ok", "ok"),
      dep("with-5xx", "ok"),
      dep("with-5xx", "flaky5xx"),
      dep("with-429", "ok"),
      dep("with-429", "ratelimited"),
      dep("with-timeout", "ok"),
      dep("with-timeout", "hang", { timeout_ms: 300, stream_timeout_ms: 300 }),
      dep("with-reset", "ok"),
      dep("with-reset", "reset"),
      dep("with-cut", "ok"),
      dep("with-cut", "cutstream"),
      dep("with-garbage", "ok"),
      dep("with-garbage", "garbage"),
    ],
    router_settings: { num_retries: 2, retry_backoff_ms: 10, allowed_fails: 3, cooldown_time_ms: 60_000 },
    server_settings: { first_request_timeout_ms: FIRST_REQUEST_TIMEOUT_MS, shutdown_grace_ms: 10_000 },
  };
}

type Inference = Client<typeof InferenceService>;

/**
 * `total` calls, `concurrency` at a time, alternating unary and streaming; latencies and failures.
 * `prompt` picks each call's text (default: unique, so nothing is a cache hit). `progress.done` counts finished
 * calls; a caller may raise or lower `progress.total` while the load runs (it starts as `total`).
 */
async function load(client: Inference, model: string, total: number, concurrency: number, prompt = (i: number) => `chaos ${i}`, progress = { done: 0, total }) {
  const latencies: number[] = [];
  const failures: string[] = [];
  let next = 0;
  progress.total = total;
  const worker = async () => {
    while (next < progress.total) {
      const i = next++;
      const started = performance.now();
      try {
        const request = { model, messages: [{ role: "user", content: prompt(i) }] };
        if (i % 2 === 0) await client.complete(request);
        else for await (const _ of client.streamComplete(request)) void _;
        latencies.push(performance.now() - started);
      } catch (err) {
        failures.push(`${Code[ConnectError.from(err).code]}: ${ConnectError.from(err).rawMessage.slice(0, 120)}`);
      }
      progress.done++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { latencies, failures };
}

async function routerView(admin: Client<typeof AdminService>, group: string): Promise<string> {
  const state = await admin.getRouterState({ modelGroup: group });
  return state.deployments.map((d) => `${d.deploymentId.split("/")[1]} ${DeploymentHealth[d.health]}`).join(", ");
}

async function main(): Promise<number> {
  const upstream = await ChaosUpstream.start();
  const rows: Row[] = [];
  const gateway = await GatewayProcess.start(config(upstream));
  const transport = createGrpcTransport({ baseUrl: gateway.url });
  const client = createClient(InferenceService, transport);
  const admin = createClient(AdminService, transport);

  const measured = async (
    scenario: string,
    bound: string,
    run: () => Promise<{ requests: number; failures: number; latencies?: number[]; operator?: string; ok: (failures: number) => boolean }>,
    on: GatewayProcess = gateway,
    errorLinesAllowed = false,
  ) => {
    if (!selected(scenario)) return;
    const logsBefore = on.logs.length;
    const rssBeforeMb = on.rssMb();
    const result = await run();
    const rssAfterMb = on.rssMb();
    const { errors, warnings } = on.levels(logsBefore);
    const stats = summarize(result.latencies ?? []);
    const ok = result.ok(result.failures) && (errorLinesAllowed || errors === 0);
    rows.push({
      scenario,
      requests: result.requests,
      failures: result.failures,
      p50Ms: stats.p50Ms,
      p99Ms: stats.p99Ms,
      rssBeforeMb,
      rssAfterMb,
      operator: `${errors} error / ${warnings} warn log lines${result.operator ? `; ${result.operator}` : ""}`,
      bound: errorLinesAllowed ? bound : `${bound}; no error log lines`,
      ok,
    });
    process.stdout.write(`${ok ? "ok  " : "FAIL"} ${scenario}: ${result.failures}/${result.requests} failed\n`);
  };

  const withHealthy = (scenario: string, group: string, bound = "0 failures (a healthy deployment exists)", ok = (f: number): boolean => f === 0) =>
    measured(scenario, bound, async () => {
      const { latencies, failures } = await load(client, group, SCALE.load, SCALE.concurrency);
      if (failures.length > 0) process.stdout.write(`     e.g. ${failures[0]}\n`);
      return { requests: SCALE.load, failures: failures.length, latencies, operator: `GetRouterState: ${await routerView(admin, group)}`, ok };
    });

  try {
    await withHealthy("upstream 5xx bursts", "with-5xx");
    await withHealthy("429 with retry-after", "with-429");
    await withHealthy("upstream timeouts (hang)", "with-timeout");
    await withHealthy("TCP reset on request", "with-reset");
    // A stream cut after its first chunk cannot be retried; the deployment cools down after allowed_fails (3).
    await withHealthy("TCP reset mid-stream", "with-cut", `at most ${3 + SCALE.concurrency} failures (cut after the first chunk, until cooldown)`, (f) => f <= 3 + SCALE.concurrency);
    await withHealthy("garbage SSE", "with-garbage");

    await measured(`${SCALE.idle} idle / half-open sockets`, `all closed within first_request_timeout_ms (${FIRST_REQUEST_TIMEOUT_MS} ms) + 5 s (default timeout: 30 s); calls meanwhile succeed`, async () => {
      const port = Number(new URL(gateway.url).port);
      const started = Date.now();
      const closings = Array.from({ length: SCALE.idle }, (_, i) => {
        const socket = net.connect(port, "127.0.0.1");
        socket.on("error", () => undefined);
        if (i % 2) socket.once("connect", () => socket.write("PRI * HTTP/2.0\r\n"));
        return new Promise<number>((resolve) => socket.once("close", () => resolve(Date.now() - started)));
      });
      const { latencies, failures } = await load(client, "ok", 50, 5);
      const closedAfter = await Promise.race([Promise.all(closings), new Promise<number[]>((resolve) => setTimeout(() => resolve([Infinity]), FIRST_REQUEST_TIMEOUT_MS + 5_000))]);
      const slowest = Math.max(...closedAfter);
      return {
        requests: 50,
        failures: failures.length,
        latencies,
        operator: `last idle socket closed after ${slowest} ms`,
        ok: (f) => f === 0 && slowest < FIRST_REQUEST_TIMEOUT_MS + 5_000,
      };
    });

    await measured("100 concurrent cancels", "cancelled calls end quietly; later calls succeed", async () => {
      await Promise.all(
        Array.from({ length: 100 }, async (_, i) => {
          const abort = new AbortController();
          const it = client.streamComplete({ model: "ok", messages: [{ role: "user", content: `cancel me ${i} with a few more words` }] }, { signal: abort.signal })[Symbol.asyncIterator]();
          await it.next().catch(() => undefined);
          abort.abort();
          await it.next().catch(() => undefined);
        }),
      );
      const after = await load(client, "ok", 20, 5);
      return { requests: 120, failures: after.failures.length, latencies: after.latencies, ok: (f) => f === 0 };
    });

    await measured(`${SCALE.leak} request leak check`, "0 failures; RSS grows < 60 MB after a warm-up", async () => {
      // Heaps and JIT code of every worker grow over the first requests whatever leaks; a leak is growth after that.
      await load(client, "ok", SCALE.leak, SCALE.concurrency);
      const before = gateway.rssMb();
      const { latencies, failures } = await load(client, "ok", SCALE.leak, SCALE.concurrency);
      const growth = gateway.rssMb() - before;
      return { requests: SCALE.leak, failures: failures.length, latencies, operator: `RSS +${growth.toFixed(1)} MB`, ok: (f) => f === 0 && growth < 60 };
    });
    // Redis (router state and cache layer) killed and restarted mid-load, on a gateway of its own.
    if (selected("Redis killed and restarted mid-load (state + cache)")) await redisScenario();
    if (selected(S3_SCENARIO)) {
      const started = Date.now();
      await s3Scenario();
      process.stdout.write(`     (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
    }
  } finally {
    await gateway.stop();
  }

  async function redisScenario(): Promise<void> {
    const redis = await startRedisServer();
    const shared = await GatewayProcess.start({ ...config(upstream), redis: { url: redis.url }, cache_settings: { enabled: true, layers: [{ redis: {} }] } });
    try {
      const sharedTransport = createGrpcTransport({ baseUrl: shared.url });
      const sharedClient = createClient(InferenceService, sharedTransport);
      const sharedAdmin = createClient(AdminService, sharedTransport);
      await measured(
        "Redis killed and restarted mid-load (state + cache)",
        "0 failures; shared state available again within 10 s of the restart",
        async () => {
          const running = load(sharedClient, "with-5xx", SCALE.load, SCALE.concurrency);
          await new Promise((resolve) => setTimeout(resolve, 300));
          await redis.stop();
          const duringOutage = (await sharedAdmin.getRouterState({})).sharedStateAvailable;
          await new Promise((resolve) => setTimeout(resolve, 1_000));
          const restarted = await startRedisServer(redis.port);
          const { latencies, failures } = await running;
          const deadline = Date.now() + 10_000;
          let back = false;
          while (!back && Date.now() < deadline) {
            back = (await sharedAdmin.getRouterState({})).sharedStateAvailable;
            if (!back) await new Promise((resolve) => setTimeout(resolve, 100));
          }
          await restarted.stop();
          if (failures.length > 0) process.stdout.write(`     e.g. ${failures[0]}\n`);
          return {
            requests: SCALE.load,
            failures: failures.length,
            latencies,
            operator: `GetRouterState.shared_state_available: ${duringOutage} during the outage, ${back} after`,
            ok: (f) => f === 0 && back,
          };
        },
        shared,
        true,
      );
    } finally {
      await shared.stop();
    }
  }

  /**
   * The S3 cache layer's emulator killed mid-load and restarted, on a gateway
   * whose cache is S3 alone (no memory layer in front), so that every call
   * reads and writes S3: the worst case. The workload repeats 20 prompts so
   * the layer serves hits before the outage and after.
   */
  async function s3Scenario(): Promise<void> {
    let s3 = await startS3();
    const cached = await GatewayProcess.start({ ...config(upstream), cache_settings: { enabled: true, layers: [s3Layer(s3.endpoint, S3_LAYER_TIMEOUT_MS)] } });
    try {
      const cachedTransport = createGrpcTransport({ baseUrl: cached.url });
      const cachedClient = createClient(InferenceService, cachedTransport);
      const cachedAdmin = createClient(AdminService, cachedTransport);
      const s3Stats = async () => (await cachedAdmin.getCacheStats({})).layers.find((l) => l.layer === "s3");
      const view = (l: Awaited<ReturnType<typeof s3Stats>>) => (l ? `${l.hits} hits / ${l.misses} misses / ${l.sets} sets / ${l.errors} errors` : "no s3 layer");
      await measured(
        S3_SCENARIO,
        `0 failures; p99 during the outage ≤ p99 before it + the layer's timeout_ms (${S3_LAYER_TIMEOUT_MS}); s3 errors counted; s3 hits again after the restart`,
        async () => {
          // Open-ended until S3 is back; then SCALE.s3 more calls.
          const progress = { done: 0, total: Number.MAX_SAFE_INTEGER };
          const running = load(cachedClient, "ok", progress.total, SCALE.concurrency, (i) => `s3 chaos ${i % 20}`, progress);
          while (progress.done < SCALE.s3) await new Promise((resolve) => setTimeout(resolve, 10));
          const before = await s3Stats();
          const killedAt = Date.now();
          const doneAtKill = progress.done;
          await s3.stop();
          await new Promise((resolve) => setTimeout(resolve, S3_OUTAGE_MS));
          s3 = await startS3(s3.port);
          const downMs = Date.now() - killedAt; // the pause plus moto's start and the bucket's creation
          const back = await s3Stats();
          const doneAtBack = progress.done;
          progress.total = progress.done + SCALE.s3;
          const { latencies, failures } = await running;
          const after = await s3Stats();
          const total = latencies.length + failures.length;
          if (failures.length > 0) process.stdout.write(`     e.g. ${failures[0]}\n`);
          // Latencies are in completion order (no failures expected), so the phases are slices of them.
          const phaseP99 = [latencies.slice(0, doneAtKill), latencies.slice(doneAtKill, doneAtBack), latencies.slice(doneAtBack)].map((l) => summarize(l).p99Ms);
          const delta = (field: "hits" | "errors", from: typeof before, to: typeof before) => Number(to?.[field] ?? 0) - Number(from?.[field] ?? 0);
          const errorsInOutage = delta("errors", before, back);
          const hitsAfter = delta("hits", back, after);
          return {
            requests: total,
            failures: failures.length,
            latencies,
            operator:
              `GetCacheStats s3: before the kill ${view(before)}; down ${downMs} ms: +${errorsInOutage} errors; ` +
              `after the restart +${hitsAfter} hits, +${delta("errors", back, after)} errors; ` +
              `p99 before / during / after the outage ${phaseP99.map((p) => p.toFixed(0)).join(" / ")} ms, max ${Math.max(...latencies).toFixed(0)} ms`,
            ok: (f) => f === 0 && phaseP99[1]! <= phaseP99[0]! + S3_LAYER_TIMEOUT_MS && errorsInOutage > 0 && hitsAfter > 0,
          };
        },
        cached,
        true,
      );
    } finally {
      await cached.stop();
      await s3.stop();
    }
  }

  // SIGTERM with 50 streams in flight, each round a fresh process.
  if (selected("SIGTERM mid-stream")) {
    let failures = 0;
    let errors = 0;
    const started = Date.now();
    for (let round = 0; round < SCALE.sigterm; round++) {
      const g = await GatewayProcess.start(config(upstream));
      const c = createClient(InferenceService, createGrpcTransport({ baseUrl: g.url }));
      const streams = await Promise.all(
        Array.from({ length: 50 }, async (_, i) => {
          const it = c.streamComplete({ model: "ok", messages: [{ role: "user", content: `drain ${i} ${"word ".repeat(30)}` }] })[Symbol.asyncIterator]();
          await it.next();
          return it;
        }),
      );
      g.terminate();
      const outcomes = await Promise.all(
        streams.map(async (it) => {
          try {
            for (let r = await it.next(); !r.done; r = await it.next());
            return true;
          } catch (err) {
            return ConnectError.from(err).code === Code.Unavailable; // a clean UNAVAILABLE is within the contract
          }
        }),
      );
      failures += outcomes.filter((o) => !o).length;
      if ((await g.exited) !== 0) failures++;
      errors += g.levels().errors;
    }
    rows.push({
      scenario: `SIGTERM mid-stream ×${SCALE.sigterm} (50 streams each)`,
      requests: 50 * SCALE.sigterm,
      failures,
      p50Ms: Number.NaN,
      p99Ms: Number.NaN,
      rssBeforeMb: Number.NaN,
      rssAfterMb: Number.NaN,
      operator: `${errors} error log lines; ${((Date.now() - started) / 1000).toFixed(1)} s for all rounds`,
      bound: "every stream completes or ends UNAVAILABLE; exit 0",
      ok: failures === 0 && errors === 0,
    });
    process.stdout.write(`${failures === 0 ? "ok  " : "FAIL"} SIGTERM mid-stream: ${failures} failures\n`);
  }
  await upstream.close();

  if (ONLY === undefined) writeReport(rows);
  else process.stdout.write(`--only: docs/reliability.md left as it is; the rows:\n${rows.map(tableRow).join("\n")}\n`);
  return rows.every((r) => r.ok) ? 0 : 1;
}

const fmt = (n: number, digits = 1) => (Number.isNaN(n) ? "–" : n.toFixed(digits));

const tableRow = (r: Row) =>
  `| ${r.scenario} | ${r.requests} | ${r.failures} | ${fmt(r.p50Ms)} | ${fmt(r.p99Ms)} | ${fmt(r.rssBeforeMb, 0)} → ${fmt(r.rssAfterMb, 0)} | ${r.operator} | ${r.bound} | ${r.ok ? "pass" : "**FAIL**"} |`;

function writeReport(rows: Row[]): void {
  const lines = [
    "# Reliability: the fault suite",
    "",
    `Written by \`npm run chaos${QUICK ? " -- --quick" : ""}\` (${new Date().toISOString().slice(0, 10)}): the real gateway process`,
    "(`bin/switchyard.js`) on loopback, against a local OpenAI-wire upstream that injects",
    "the fault, under bounded load (gRPC clients, half unary, half streaming). Each row",
    "asserts its bound; the command exits 1 when one is broken. RSS is the gateway",
    "process's resident set before and after the scenario.",
    "",
    "| scenario | requests | client-visible failures | p50 ms | p99 ms | RSS before → after MB | what the operator sees | bound | result |",
    "|---|---|---|---|---|---|---|---|---|",
    ...rows.map(tableRow),
    "",
    "The Redis and S3 rows allow error log lines: an operator should see a store going",
    "away. The S3 row's gateway caches in S3 alone (no memory layer in front), so every",
    `call reads S3 and writes it; moto (in memory) comes back empty and the bucket is`,
    "created again, so hits after the restart are entries written after it. Its latency",
    "bound is relative: with every call going through one Python moto process, p99 with",
    "S3 healthy already depends on the machine, and what the outage may add is the",
    "layer's timeout_ms (a refused or hung S3 call is cut there; writes never delay an",
    "answer). The phases are: before the kill, from the kill until moto listens again",
    "with its bucket, and after.",
    "",
  ];
  writeFileSync(path.resolve(import.meta.dirname, "../docs/reliability.md"), lines.join("\n"));
}

process.exitCode = await main();

/**
 * The benchmark: `npm run bench` (full) or `npm run bench -- --quick` (< 3 min).
 *
 * Installs the load tools and peer gateways into a scratch folder outside
 * the repo (BENCH_WORKDIR, default /tmp/switchyard-bench), starts the mock
 * upstream, then runs each system in turn against it (open loop at fixed
 * rates, then a fixed-concurrency max-throughput run), sampling CPU and
 * memory from /proc, and writes bench/results/<date>[-quick].{md,json,png}.
 *
 * Options: --quick; --only=baseline,switchyard,floor,cache,router,workers,peers,profile
 * (run a subset while developing); --rates=R1,R2 (open-loop rates in place of
 * the profile's); --workdir=DIR; --before=DIR (another
 * checkout, e.g. a worktree of main, whose Switchyard is also measured in the
 * switchyard and cache parts, right before this one, as "before" rows: a
 * before/after ratio from one run on one machine).
 */
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { builtinProviders } from "../src/providers/registry.js";
import { hottestFrames, inclusiveFrames, profileSpanMs, selfTimeByArea, type CpuProfile } from "./lib/cpuprofile.js";
import { install, PINS, type Installed } from "./lib/install.js";
import { runLoad, type LoadContext, type LoadShape, type Target } from "./lib/load.js";
import { ProcessSampler } from "./lib/proc.js";
import { run } from "./lib/process.js";
import { renderReport } from "./lib/report.js";
import type { Group, Measurement, RunData } from "./lib/results.js";
import { ROUTING_STRATEGIES, variantId, type SwitchyardVariant, type UpstreamMode } from "./lib/switchyard-config.js";
import { portkeyHeaders, startFloor, startLitellm, startPortkey, startRedis, startSwitchyard, startUpstream, type Dirs, type RunningSystem } from "./lib/systems.js";
import { GROUP, openAiBody, switchyardBinaryBody, switchyardJsonBody, UPSTREAM, UPSTREAM_MODEL } from "./lib/workload.js";

const PROFILES = {
  quick: { rates: [1000], durationS: 3, warmupS: 1, maxDurationS: 2, concurrency: 128, timeoutS: 3, routerDurationS: 2, routerMax: false, settleS: 6, floorMax: false },
  full: { rates: [200, 1000], durationS: 10, warmupS: 2, maxDurationS: 8, concurrency: 256, timeoutS: 10, routerDurationS: 6, routerMax: true, settleS: 40, floorMax: true },
} as const;

const WARMUP_CONCURRENCY = 8;

const { values: args } = parseArgs({
  options: { quick: { type: "boolean", default: false }, only: { type: "string" }, workdir: { type: "string" }, before: { type: "string" }, rates: { type: "string" } },
});
const profileName = args.quick ? "quick" : "full";
/** --rates=200,1000 replaces the profile's open-loop rates, e.g. a rate a busy shared machine can still serve. */
const rates = args.rates?.split(",").map((r) => {
  const n = Number(r);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--rates: "${r}" is not a positive whole number of requests per second`);
  return n;
});
const profile = { ...PROFILES[profileName], ...(rates ? { rates } : {}) };
const PARTS = ["baseline", "switchyard", "floor", "cache", "router", "workers", "peers", "profile"];
const only = args.only ? new Set(args.only.split(",")) : undefined;
for (const part of only ?? []) if (!PARTS.includes(part)) throw new Error(`--only: unknown part "${part}" (parts: ${PARTS.join(", ")})`);
const wants = (part: string) => !only || only.has(part);

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const workdir = path.resolve(args.workdir ?? process.env.BENCH_WORKDIR ?? path.join(os.tmpdir(), "switchyard-bench"));
if (workdir === repoRoot || workdir.startsWith(repoRoot + path.sep)) throw new Error(`--workdir must be outside the repo (got ${workdir})`);
const runDir = path.join(workdir, "runs", new Date().toISOString().replace(/[:.]/g, "-"));
const dirs: Dirs = { repoRoot, scratch: runDir, logs: path.join(runDir, "logs") };
const beforeRoot = args.before ? path.resolve(args.before) : undefined;
if (beforeRoot && !existsSync(path.join(beforeRoot, "src", "main.ts"))) throw new Error(`--before: ${beforeRoot} is not a Switchyard checkout`);
/** The checkouts whose Switchyard is measured: the "before" one first, then this one. */
const checkouts: Array<{ dirs: Dirs; idPrefix: string; label: string }> = [
  ...(beforeRoot ? [{ dirs: { repoRoot: beforeRoot, scratch: path.join(runDir, "before"), logs: path.join(runDir, "before", "logs") }, idPrefix: "before-", label: " (before)" }] : []),
  { dirs, idPrefix: "", label: "" },
];
const started = Date.now();
const loadAtStart = os.loadavg();
const log = (line: string) => process.stdout.write(`[bench +${((Date.now() - started) / 1000).toFixed(0)}s] ${line}\n`);

const measurements: Measurement[] = [];
const skipped: RunData["skipped"] = [];
let upstream: RunningSystem;
let loadCtx: LoadContext;

interface Scenario {
  id: string;
  system: string;
  group: Group;
  protocol: string;
  call: "unary" | "stream";
  target: Target;
  /** Also run the fixed-concurrency max-throughput test. */
  max: boolean;
  /** One request through the same system (unary, over HTTP): used to wait for it to be idle again. */
  ready: () => Promise<unknown>;
  durationS?: number;
  /** Open-loop rates to run; default the profile's. */
  rates?: readonly number[];
}

/**
 * Warm up, then one measured run per rate (and max throughput), sampling the
 * gateway, the upstream and the load tool. Before each run the system must
 * answer a single request promptly again: an overloaded peer may still be
 * working through the backlog of the previous open-loop run.
 */
async function measure(scenario: Scenario, gateway: RunningSystem | undefined): Promise<void> {
  const shape = (rate: number | null, durationS: number): LoadShape => ({ rate, durationS, concurrency: profile.concurrency, timeoutS: profile.timeoutS });
  try {
    await settle(scenario);
    // Warm up closed-loop with a few callers: JIT and connections get hot, and a slow system cannot
    // build a backlog that would spill into the measured run.
    await runLoad(loadCtx, scenario.target, { ...shape(null, profile.warmupS), concurrency: WARMUP_CONCURRENCY });
    const runs: Array<number | null> = [...(scenario.rates ?? profile.rates), ...(scenario.max ? [null] : [])];
    for (const rate of runs) {
      await settle(scenario);
      const duration = rate === null ? profile.maxDurationS : (scenario.durationS ?? profile.durationS);
      const gatewaySampler = gateway ? new ProcessSampler(gateway.pid) : undefined;
      const upstreamSampler = new ProcessSampler(upstream.pid);
      await Promise.all([gatewaySampler?.start(), upstreamSampler.start()]);
      let loadSampler: ProcessSampler | undefined;
      let loadSamplerStarted: Promise<void> | undefined;
      const load = await runLoad(loadCtx, scenario.target, shape(rate, duration), {
        onLoadProcess: (pid) => {
          loadSampler = new ProcessSampler(pid);
          loadSamplerStarted = loadSampler.start().catch(() => undefined);
        },
      });
      await loadSamplerStarted;
      const [gatewayUsage, upstreamUsage, loadUsage] = await Promise.all([gatewaySampler?.stop(), upstreamSampler.stop(), loadSampler?.stop()]);
      measurements.push({
        id: scenario.id,
        system: scenario.system,
        group: scenario.group,
        protocol: scenario.protocol,
        call: scenario.call,
        load,
        gateway: gatewayUsage,
        upstream: upstreamUsage,
        loadTool: loadUsage,
      });
      log(
        `${scenario.id} @ ${rate ?? `max(c=${profile.concurrency})`}: ${load.achievedRate.toFixed(0)} req/s ok, ${load.errors} errors, p50 ${load.latency.p50Ms.toFixed(2)} ms, p99 ${load.latency.p99Ms.toFixed(2)} ms` +
          (load.ttft ? `, TTFT p50 ${load.ttft.p50Ms.toFixed(2)} p99 ${load.ttft.p99Ms.toFixed(2)} ms` : "") +
          (gatewayUsage ? `, gateway CPU ${gatewayUsage.cpuPercent.toFixed(0)}%` : "") +
          (loadUsage ? `, load tool CPU ${loadUsage.cpuPercent.toFixed(0)}%` : "") +
          (load.errorSamples.length ? ` (${load.errorSamples[0]})` : ""),
      );
    }
  } catch (err) {
    skip(scenario.id, scenario.system, `load run failed: ${(err as Error).message}`);
  }
}

/** Waits (bounded) until one request completes within a second. */
async function settle(scenario: Scenario): Promise<void> {
  const deadline = Date.now() + profile.settleS * 1000;
  while (Date.now() < deadline) {
    const t0 = Date.now();
    const ok = await scenario.ready().then(
      () => true,
      () => false,
    );
    if (ok && Date.now() - t0 < 1000) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  log(`${scenario.id}: still slow to answer after ${profile.settleS} s; measuring anyway`);
}

const idleMemory: RunData["idleMemory"] = [];

/** Resident memory right after start-up and one request, before any load. */
async function recordIdleMemory(system: string, running: RunningSystem): Promise<void> {
  const sampler = new ProcessSampler(running.pid);
  await sampler.start();
  idleMemory.push({ system, rssMb: (await sampler.stop()).peakRssMb });
}

function skip(id: string, system: string, reason: string): void {
  skipped.push({ id, system, reason });
  log(`SKIPPED ${id}: ${reason}`);
}

/** One real request before any load: a system that cannot answer is reported, not measured. */
async function probe(url: string, body: string, headers: Record<string, string> = {}): Promise<unknown> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body, signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  if (!res.ok) throw new Error(`probe got HTTP ${res.status}: ${text.slice(0, 400)}`);
  return JSON.parse(text);
}

function switchyardTargets(sy: RunningSystem): Record<"connectUnary" | "grpcUnary" | "connectStream" | "grpcStream" | "openaiUnary" | "openaiStream", Target> {
  const json = switchyardJsonBody();
  const chat = `${sy.url}/v1/chat/completions`;
  return {
    // The OpenAI-compatible surface: the same wire LiteLLM and Portkey are measured on.
    openaiUnary: { kind: "http", url: chat, body: openAiBody(GROUP, false) },
    openaiStream: { kind: "stream", mode: "sse", url: chat, body: openAiBody(GROUP, true) },
    connectUnary: { kind: "http", url: `${sy.url}/switchyard.v1.InferenceService/Complete`, body: json, headers: { "Connect-Protocol-Version": "1" } },
    grpcUnary: { kind: "grpc", address: `127.0.0.1:${sy.port}`, call: "switchyard.v1.InferenceService.Complete", json },
    connectStream: { kind: "stream", mode: "connect", url: `${sy.url}/switchyard.v1.InferenceService/StreamComplete`, body: json },
    grpcStream: { kind: "stream", mode: "grpc", url: `${sy.url}/switchyard.v1.InferenceService/StreamComplete`, body: switchyardBinaryBody() },
  };
}

function workersSystem(workers: number): string {
  return `Switchyard, workers: ${workers}`;
}

function switchyardReady(sy: RunningSystem): () => Promise<unknown> {
  return () => probe(`${sy.url}/switchyard.v1.InferenceService/Complete`, switchyardJsonBody());
}

async function withSwitchyard(variant: SwitchyardVariant, mode: UpstreamMode, body: (sy: RunningSystem) => Promise<void>, from = checkouts[checkouts.length - 1]!): Promise<void> {
  let sy: RunningSystem | undefined;
  try {
    sy = await startSwitchyard(from.dirs, variant, mode, upstream.url);
    await probe(`${sy.url}/switchyard.v1.InferenceService/Complete`, switchyardJsonBody());
    if (variant.kind === "plain") await recordIdleMemory(`Switchyard${from.label}`, sy);
    if (variant.kind === "workers") await recordIdleMemory(`${workersSystem(variant.workers)}${from.label}`, sy);
    await body(sy);
  } catch (err) {
    skip(`${from.idPrefix}${variantId(variant)}`, `Switchyard${from.label}`, (err as Error).message);
  } finally {
    await sy?.stop();
  }
}

async function machineFacts(): Promise<Record<string, string>> {
  const cpus = os.cpus();
  const safe = async (cmd: string, a: string[]) => (await run(cmd, a).catch(() => "unknown")).trim();
  const commit = await safe("git", ["-C", repoRoot, "rev-parse", "--short", "HEAD"]);
  const dirty = (await safe("git", ["-C", repoRoot, "status", "--porcelain", "--", "src", "gen", "proto"])) !== "";
  return {
    CPU: `${cpus[0]?.model ?? "unknown"} × ${cpus.length}`,
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    kernel: `${os.type()} ${os.release()}`,
    "load average at start": loadAtStart.map((l) => l.toFixed(2)).join(" "),
    Node: process.version,
    Go: (await safe("go", ["version"])).replace(/^go version /, ""),
    Python: await safe(path.join(workdir, "venv", "bin", "python"), ["--version"]),
    Redis: (await safe("redis-server", ["--version"])).replace(/^Redis server /, "").split(" ")[0],
    "load average at end": os.loadavg().map((l) => l.toFixed(2)).join(" "),
    "Switchyard commit": `${commit}${dirty ? " (plus uncommitted changes in src/ from work in progress)" : ""}`,
  };
}

/** Scratch runs hold raw load-tool output (megabytes each): keep the last few for debugging. */
async function pruneOldRuns(keep: number): Promise<void> {
  const runsDir = path.join(workdir, "runs");
  const runs = (await readdir(runsDir).catch(() => [] as string[])).sort();
  for (const old of runs.slice(0, Math.max(0, runs.length - keep))) await rm(path.join(runsDir, old), { recursive: true, force: true });
}

async function main(): Promise<void> {
  await pruneOldRuns(3);
  for (const from of checkouts) await mkdir(from.dirs.logs, { recursive: true });
  log(`profile ${profileName}; scratch ${workdir}`);
  const installed: Installed = await install(workdir, repoRoot, log);
  // Switchyard runs compiled, as `npm start` runs it.
  await run(process.execPath, [path.join(repoRoot, "scripts", "build-if-stale.mjs")]);
  loadCtx = { tools: installed.tools, repoRoot, scratch: runDir };

  const mode: UpstreamMode = builtinProviders().get("openai") ? "openai" : "mock";
  log(`Switchyard reaches the upstream through the ${mode} provider`);
  upstream = await startUpstream(dirs);
  try {
    if (wants("baseline")) {
      const direct = `${upstream.url}/v1/chat/completions`;
      const ready = () => probe(direct, openAiBody(UPSTREAM_MODEL, false));
      const system = "Baseline (upstream direct)";
      await measure({ id: "upstream/http/unary", system, group: "baseline", protocol: "OpenAI HTTP", call: "unary", target: { kind: "http", url: direct, body: openAiBody(UPSTREAM_MODEL, false) }, max: true, ready }, undefined);
      await measure({ id: "upstream/http/stream", system, group: "baseline", protocol: "OpenAI SSE", call: "stream", target: { kind: "stream", mode: "sse", url: direct, body: openAiBody(UPSTREAM_MODEL, true) }, max: false, ready }, undefined);
    }

    if (wants("switchyard")) {
      for (const from of checkouts) {
        await withSwitchyard(
          { kind: "plain" },
          mode,
          async (sy) => {
            const t = switchyardTargets(sy);
            const common = { system: `Switchyard${from.label}`, group: "switchyard" as const, ready: switchyardReady(sy) };
            const id = (rest: string) => `${from.idPrefix}switchyard/${rest}`;
            await measure({ ...common, id: id("grpc/unary"), protocol: "gRPC", call: "unary", target: t.grpcUnary, max: true }, sy);
            await measure({ ...common, id: id("connect/unary"), protocol: "Connect JSON", call: "unary", target: t.connectUnary, max: true }, sy);
            await measure({ ...common, id: id("grpc/stream"), protocol: "gRPC", call: "stream", target: t.grpcStream, max: false }, sy);
            await measure({ ...common, id: id("connect/stream"), protocol: "Connect JSON", call: "stream", target: t.connectStream, max: false }, sy);
            await measure({ ...common, id: id("openai/unary"), protocol: "OpenAI HTTP", call: "unary", target: t.openaiUnary, max: true }, sy);
            await measure({ ...common, id: id("openai/stream"), protocol: "OpenAI SSE", call: "stream", target: t.openaiStream, max: false }, sy);
          },
          from,
        );
      }
    }

    if (wants("floor")) {
      let floor: RunningSystem | undefined;
      try {
        floor = await startFloor(dirs, upstream.url);
        const t = switchyardTargets(floor);
        const common = { system: "Floor: connect-node + undici, no gateway logic", group: "floor" as const, ready: switchyardReady(floor), max: profile.floorMax };
        await measure({ ...common, id: "floor/grpc/unary", protocol: "gRPC", call: "unary", target: t.grpcUnary }, floor);
        await measure({ ...common, id: "floor/connect/unary", protocol: "Connect JSON", call: "unary", target: t.connectUnary }, floor);
        await measure({ ...common, id: "floor/grpc/stream", protocol: "gRPC", call: "stream", target: t.grpcStream, max: false }, floor);
      } catch (err) {
        skip("floor", "Floor", (err as Error).message);
      } finally {
        await floor?.stop();
      }
      let constant: RunningSystem | undefined;
      try {
        constant = await startFloor(dirs, "constant");
        await measure(
          {
            id: "floor-constant/grpc/unary",
            system: "Floor: connect-node, constant answer (ceiling for cache hits)",
            group: "floor",
            protocol: "gRPC",
            call: "unary",
            target: switchyardTargets(constant).grpcUnary,
            max: true,
            ready: switchyardReady(constant),
          },
          constant,
        );
      } catch (err) {
        skip("floor-constant", "Floor", (err as Error).message);
      } finally {
        await constant?.stop();
      }
    }

    if (wants("cache")) {
      for (const layer of ["memory", "redis"] as const) {
        const redis = layer === "redis" ? await startRedis(dirs) : undefined;
        try {
          for (const from of checkouts) {
            await withSwitchyard(
              { kind: "cache", layer, redisUrl: redis?.url },
              mode,
              async (sy) => {
                const t = switchyardTargets(sy);
                // The probe above stored the answer; this one must come from the cache layer under test.
                const second = (await probe(`${sy.url}/switchyard.v1.InferenceService/Complete`, switchyardJsonBody())) as { cache?: { hit?: boolean; layer?: string } };
                const wantLayer = layer === "memory" ? "CACHE_LAYER_MEMORY" : "CACHE_LAYER_REDIS";
                if (!second.cache?.hit || second.cache.layer !== wantLayer) {
                  skip(`${from.idPrefix}switchyard-cache-${layer}/grpc/unary`, `Switchyard${from.label}`, `no ${layer} cache hit: a repeated identical request answered with cache = ${JSON.stringify(second.cache ?? null)} (cache_settings not applied on the request path in this checkout)`);
                  return;
                }
                await measure(
                  { id: `${from.idPrefix}switchyard-cache-${layer}/grpc/unary`, system: `Switchyard${from.label} cache hit (${layer})`, group: "cache", protocol: "gRPC", call: "unary", target: t.grpcUnary, max: true, ready: switchyardReady(sy) },
                  sy,
                );
              },
              from,
            );
          }
        } finally {
          await redis?.stop();
        }
      }
    }

    if (wants("router")) {
      for (const strategy of ROUTING_STRATEGIES) {
        await withSwitchyard({ kind: "router", strategy, deployments: 10 }, mode, async (sy) => {
          await measure(
            {
              id: `switchyard-router-${strategy}/grpc/unary`,
              system: `Switchyard router, 10 deployments, ${strategy}`,
              group: "router",
              protocol: "gRPC",
              call: "unary",
              target: switchyardTargets(sy).grpcUnary,
              max: profile.routerMax,
              durationS: profile.routerDurationS,
              ready: switchyardReady(sy),
            },
            sy,
          );
        });
      }
    }

    if (wants("workers")) {
      // Max throughput of one gateway process serving from 1 and from 2 worker threads (the load tool shares the cores).
      // 16 connections, in both runs: the kernel spreads connections (not calls) over the workers' listeners.
      for (const workers of [1, 2]) {
        await withSwitchyard({ kind: "workers", workers }, mode, async (sy) => {
          const system = workersSystem(workers);
          await measure({ id: `switchyard-workers-${workers}/grpc/unary`, system, group: "workers", protocol: "gRPC", call: "unary", target: { kind: "grpc", address: `127.0.0.1:${sy.port}`, call: "switchyard.v1.InferenceService.Complete", json: switchyardJsonBody(), connections: 16 }, max: true, rates: [], ready: switchyardReady(sy) }, sy);
        });
      }
    }

    if (wants("peers")) {
      await runPeers(installed);
    }

    if (wants("profile")) {
      await profileSwitchyard(mode, "gRPC", (sy) => switchyardTargets(sy).grpcUnary);
      await profileSwitchyard(mode, "Connect JSON", (sy) => switchyardTargets(sy).connectUnary);
      await profileSwitchyard(mode, "gRPC stream", (sy) => switchyardTargets(sy).grpcStream);
    }
  } finally {
    await upstream.stop();
  }

  const date = new Date(started).toISOString().slice(0, 10);
  const base = `${date}${profileName === "quick" ? "-quick" : ""}`;
  const resultsDir = path.join(repoRoot, "bench", "results");
  await mkdir(resultsDir, { recursive: true });
  const data: RunData = {
    date,
    startedAt: new Date(started).toISOString(),
    profile: profileName,
    machine: await machineFacts(),
    versions: {
      vegeta: PINS.vegeta.version,
      ghz: PINS.ghz.version,
      streamload: "bench/loadgen (this repo)",
      "mock upstream": "bench/mock-upstream (this repo, Node)",
      matplotlib: PINS.matplotlib.version,
    },
    peers: [
      peerRow("LiteLLM proxy", installed.peers.litellm),
      peerRow("Portkey gateway", installed.peers.portkey),
      peerRow("Bifrost", installed.peers.bifrost),
    ],
    switchyardUpstream: mode,
    settings: {
      rates: [...profile.rates],
      durationS: profile.durationS,
      warmupS: profile.warmupS,
      maxDurationS: profile.maxDurationS,
      concurrency: profile.concurrency,
      timeoutS: profile.timeoutS,
      upstream: { ...UPSTREAM },
    },
    measurements,
    skipped,
    profiles,
    idleMemory,
    durationS: (Date.now() - started) / 1000,
  };
  const jsonFile = path.join(resultsDir, `${base}.json`);
  await writeFile(jsonFile, JSON.stringify(data, null, 2) + "\n");
  const pngFile = path.join(resultsDir, `${base}.png`);
  await run(installed.tools.python, [path.join(repoRoot, "bench", "plot.py"), jsonFile, pngFile]).catch((err: Error) => log(`plot failed: ${err.message}`));
  const notesFile = path.join(resultsDir, `${base}.notes.md`);
  const notes = existsSync(notesFile) ? await readFile(notesFile, "utf8") : undefined;
  await writeFile(path.join(resultsDir, `${base}.md`), renderReport(data, `${base}.png`, notes));
  log(`wrote bench/results/${base}.md, .json, .png in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

function peerRow(name: string, p: Installed["peers"]["litellm"]): RunData["peers"][number] {
  return { name, version: p.version, installed: p.ok, detail: p.ok ? p.detail : p.reason };
}

async function runPeers(installed: Installed): Promise<void> {
  const peers: Array<{ key: "litellm" | "portkey"; name: string; start: () => Promise<RunningSystem>; model: string; headers: Record<string, string> }> = [
    { key: "litellm", name: `LiteLLM ${PINS.litellm.version}`, start: () => startLitellm(dirs, installed.litellmBin, upstream.url), model: "bench", headers: {} },
    { key: "portkey", name: `Portkey ${PINS.portkey.version}`, start: () => startPortkey(dirs, installed.portkeyEntry), model: UPSTREAM_MODEL, headers: portkeyHeaders(upstream.url) },
  ];
  for (const peer of peers) {
    const install = installed.peers[peer.key];
    if (!install.ok) {
      skip(`${peer.key}/http/*`, peer.name, `did not install: ${install.reason}`);
      continue;
    }
    let sys: RunningSystem | undefined;
    try {
      log(`starting ${peer.name} …`);
      sys = await peer.start();
      const url = `${sys.url}/v1/chat/completions`;
      await probe(url, openAiBody(peer.model, false), peer.headers);
      await recordIdleMemory(peer.name, sys);
      const common = { system: peer.name, group: "peer" as const, ready: () => probe(url, openAiBody(peer.model, false), peer.headers) };
      await measure({ ...common, id: `${peer.key}/http/unary`, protocol: "OpenAI HTTP", call: "unary", target: { kind: "http", url, body: openAiBody(peer.model, false), headers: peer.headers }, max: true }, sys);
      await measure({ ...common, id: `${peer.key}/http/stream`, protocol: "OpenAI SSE", call: "stream", target: { kind: "stream", mode: "sse", url, body: openAiBody(peer.model, true), headers: peer.headers }, max: false }, sys);
    } catch (err) {
      skip(`${peer.key}/http/*`, peer.name, (err as Error).message);
    } finally {
      await sys?.stop(10_000);
    }
  }
  const bifrost = installed.peers.bifrost;
  if (!bifrost.ok) skip("bifrost/http/*", `Bifrost ${bifrost.version}`, `did not install: ${bifrost.reason}`);
  else skip("bifrost/http/*", `Bifrost ${bifrost.version}`, "installed, but this harness has no runner for it yet (it had never installed here when the harness was written)");
}

const profiles: RunData["profiles"] = [];

/** One extra run of Switchyard under `--cpu-prof`, to name the hot path in the report. */
async function profileSwitchyard(mode: UpstreamMode, protocol: string, targetOf: (sy: RunningSystem) => Target): Promise<void> {
  const profDir = path.join(runDir, `cpu-profile-${protocol.toLowerCase().replace(/\W+/g, "-")}`);
  await rm(profDir, { recursive: true, force: true });
  await mkdir(profDir, { recursive: true });
  const rate = profile.rates[profile.rates.length - 1];
  let sy: RunningSystem | undefined;
  // --cpu-prof covers the whole process; only the samples of the measured load are the steady state.
  // They are the profile's last (exit − load start) ms, so count back from the profile's end.
  let measuredFromMs = 0;
  let measuredMs = 0;
  let cpuMsPerRequest: number | undefined;
  try {
    sy = await startSwitchyard(dirs, { kind: "plain" }, mode, upstream.url, { cpuProfileDir: profDir });
    const target = targetOf(sy);
    await runLoad(loadCtx, target, { rate: null, durationS: profile.warmupS, concurrency: WARMUP_CONCURRENCY, timeoutS: profile.timeoutS });
    const sampler = new ProcessSampler(sy.pid);
    await sampler.start();
    measuredFromMs = Date.now();
    const load = await runLoad(loadCtx, target, { rate, durationS: profile.durationS, concurrency: profile.concurrency, timeoutS: profile.timeoutS });
    const usage = await sampler.stop();
    if (load.ok > 0) cpuMsPerRequest = usage.cpuMs / load.ok;
  } catch (err) {
    skip(`profile/${protocol}`, "Switchyard", (err as Error).message);
    return;
  } finally {
    // A clean exit (SIGTERM → graceful shutdown) is what makes V8 write the profile.
    await sy?.stop(15_000);
    measuredMs = Date.now() - measuredFromMs;
  }
  const files = existsSync(profDir) ? (await readdir(profDir)).filter((f) => f.endsWith(".cpuprofile")) : [];
  if (files.length === 0) {
    skip(`profile/${protocol}`, "Switchyard", "no .cpuprofile was written (the gateway did not exit cleanly on SIGTERM)");
    return;
  }
  const file = path.join(profDir, files[0]);
  const cpu = JSON.parse(await readFile(file, "utf8")) as CpuProfile;
  const skipFirstMs = Math.max(0, profileSpanMs(cpu) - measuredMs);
  profiles.push({
    protocol,
    scenario: `${protocol.includes("stream") ? "" : "unary "}at ${rate} req/s for ${profile.durationS} s`,
    cpuMsPerRequest,
    frames: hottestFrames(cpu, 20, repoRoot, skipFirstMs),
    ours: inclusiveFrames(cpu, (loc) => loc.startsWith("src/"), repoRoot, skipFirstMs, 15),
    areas: selfTimeByArea(cpu, repoRoot, skipFirstMs),
    file,
  });
  log(`profiled ${protocol}: ${cpuMsPerRequest?.toFixed(2) ?? "?"} ms CPU per request`);
}

await main();

/**
 * CPU time per request, before/after, in one run: `npm run bench:cpu -- --before=DIR`.
 *
 * On a shared or busy machine req/s and latency say more about the
 * neighbours than about the gateway; the CPU time the gateway's process tree
 * spends per answered request (from /proc) moves much less. This starts every
 * system at once — Switchyard from this checkout and from --before (e.g. a
 * worktree of main), the connect-node + undici floor and the constant-answer
 * floor — and measures them in interleaved rounds (closed loop, fixed
 * concurrency), so drifting background load hits each system alike. The
 * least contended round and the median over rounds are reported, with every round's figure, plus one
 * open-loop streaming run per Switchyard at --stream-rate for time to first token.
 *
 * The before checkout runs on its own runtime: --before-node (default /usr/bin/node, the system Node)
 * and, with --before-source=tsx (default), its TypeScript through its own tsx, as its `npm start` did;
 * --before-source=dist runs its compiled dist/. This checkout (after) runs compiled dist/ on the Node
 * that runs this script (run it with node_modules/.bin/node, the pinned runtime), and so do the floors.
 *
 * --before-env=K=V[,K=V] sets environment for the before gateway only: with --before=. it measures this checkout against
 * itself with a switch flipped (e.g. --before-env=SWITCHYARD_GRPC_FAST_PATH=0).
 *
 * Options: --before=DIR, --before-node=PATH, --before-source=tsx|dist, --before-env=K=V, --rounds=N (5), --duration=S (3), --concurrency=N (16),
 * --stream-rate=N (1000, 0 = skip), --stream-rounds=N (3), --workdir=DIR, --out=NAME (results file stem).
 */
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { install } from "./lib/install.js";
import { runLoad, type LoadContext, type Target } from "./lib/load.js";
import { ProcessSampler } from "./lib/proc.js";
import { run } from "./lib/process.js";
import { variantId, type SwitchyardVariant } from "./lib/switchyard-config.js";
import { startFloor, startSwitchyard, startUpstream, type Dirs, type RunningSystem, type SwitchyardRuntime } from "./lib/systems.js";
import { openAiBody, switchyardBinaryBody, switchyardJsonBody, UPSTREAM, UPSTREAM_MODEL } from "./lib/workload.js";

const { values: args } = parseArgs({
  options: {
    before: { type: "string" },
    "before-node": { type: "string", default: "/usr/bin/node" },
    "before-source": { type: "string", default: "tsx" },
    "before-env": { type: "string" },
    rounds: { type: "string", default: "5" },
    duration: { type: "string", default: "3" },
    concurrency: { type: "string", default: "16" },
    "stream-rate": { type: "string", default: "1000" },
    "stream-rounds": { type: "string", default: "3" },
    workdir: { type: "string" },
    out: { type: "string" },
  },
});
const rounds = Number(args.rounds);
const durationS = Number(args.duration);
const concurrency = Number(args.concurrency);
const streamRate = Number(args["stream-rate"]);
const streamRounds = Number(args["stream-rounds"]);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const workdir = path.resolve(args.workdir ?? process.env.BENCH_WORKDIR ?? path.join(os.tmpdir(), "switchyard-bench"));
const runDir = path.join(workdir, "runs", `cpu-${new Date().toISOString().replace(/[:.]/g, "-")}`);
const started = Date.now();
const loadAtStart = os.loadavg();
const log = (line: string) => process.stdout.write(`[cpu +${((Date.now() - started) / 1000).toFixed(0)}s] ${line}\n`);

interface Case {
  name: string;
  system: RunningSystem;
  target: Target;
}

interface Checkout {
  label: string;
  root: string;
  runtime: SwitchyardRuntime;
  nodeVersion?: string;
}

interface Memory {
  name: string;
  idleRssMb: number;
  peakRssMb: number;
}

interface TtftRound {
  ok: number;
  errors: number;
  p50Ms: number;
  p99Ms: number;
  cpuPercent: number;
}

interface TtftRow {
  name: string;
  rounds: TtftRound[];
}

interface Row {
  name: string;
  cpuMsPerRequest: number[];
  okPerS: number[];
  errors: number;
}

const grpcUnary = (sy: RunningSystem): Target => ({ kind: "grpc", address: `127.0.0.1:${sy.port}`, call: "switchyard.v1.InferenceService.Complete", json: switchyardJsonBody() });
const grpcStream = (sy: RunningSystem): Target => ({ kind: "stream", mode: "grpc", url: `${sy.url}/switchyard.v1.InferenceService/StreamComplete`, body: switchyardBinaryBody() });

async function main(): Promise<void> {
  const beforeSource = args["before-source"] === "dist" ? "dist" : "tsx";
  const checkouts: Checkout[] = [
    ...(args.before ? [{ label: "before", root: path.resolve(args.before), runtime: { node: args["before-node"]!, source: beforeSource, env: envPairs(args["before-env"]) } as SwitchyardRuntime }] : []),
    { label: "after", root: repoRoot, runtime: { node: process.execPath, source: "dist" } },
  ];
  for (const c of checkouts) {
    c.nodeVersion = (await run(c.runtime.node, ["--version"])).trim();
    if (c.runtime.source === "dist") await run(c.runtime.node, [path.join(c.root, "scripts", "build-if-stale.mjs")], { cwd: c.root });
  }
  const installed = await install(workdir, repoRoot, log);
  const loadCtx: LoadContext = { tools: installed.tools, repoRoot, scratch: runDir };
  const dirsOf = (root: string, label: string): Dirs => ({ repoRoot: root, scratch: path.join(runDir, label), logs: path.join(runDir, label, "logs") });
  for (const c of checkouts) await mkdir(dirsOf(c.root, c.label).logs, { recursive: true });
  const here = dirsOf(repoRoot, "after");
  const upstream = await startUpstream(here);
  const systems: RunningSystem[] = [];
  const cases: Case[] = [];
  const streams: Case[] = [];
  const memoryOf = new Map<RunningSystem, Memory>();
  try {
    const start = async (c: Checkout, variant: SwitchyardVariant) => {
      const sy = await startSwitchyard(dirsOf(c.root, c.label), variant, "openai", upstream.url, { runtime: c.runtime });
      systems.push(sy);
      memoryOf.set(sy, { name: `Switchyard ${c.label} (${variantId(variant)}, Node ${c.nodeVersion}, ${c.runtime.source})`, idleRssMb: 0, peakRssMb: 0 });
      return sy;
    };
    for (const c of checkouts) {
      const plain = await start(c, { kind: "plain" });
      cases.push({ name: `Switchyard ${c.label}: gRPC unary via provider`, system: plain, target: grpcUnary(plain) });
      cases.push({ name: `Switchyard ${c.label}: gRPC stream via provider`, system: plain, target: grpcStream(plain) });
      streams.push({ name: `Switchyard ${c.label}: gRPC stream @ ${streamRate}/s`, system: plain, target: grpcStream(plain) });
      const cached = await start(c, { kind: "cache", layer: "memory" });
      // One call stores the answer; every measured call is then a memory hit.
      await fetch(`${cached.url}/switchyard.v1.InferenceService/Complete`, { method: "POST", headers: { "content-type": "application/json" }, body: switchyardJsonBody() }).then((r) => r.text());
      cases.push({ name: `Switchyard ${c.label}: gRPC unary memory-cache hit`, system: cached, target: grpcUnary(cached) });
    }
    const floor = await startFloor(here, upstream.url);
    systems.push(floor);
    cases.push({ name: "Floor connect-node + undici: gRPC unary", system: floor, target: grpcUnary(floor) });
    cases.push({ name: "Floor connect-node + undici: gRPC stream", system: floor, target: grpcStream(floor) });
    const constant = await startFloor(here, "constant");
    systems.push(constant);
    cases.push({ name: "Floor connect-node constant answer: gRPC unary", system: constant, target: grpcUnary(constant) });
    memoryOf.set(floor, { name: `Floor connect-node + undici (Node ${process.version})`, idleRssMb: 0, peakRssMb: 0 });
    memoryOf.set(constant, { name: `Floor connect-node constant answer (Node ${process.version})`, idleRssMb: 0, peakRssMb: 0 });

    // Idle RSS: every system started, before any load (the cache-hit systems have answered one call).
    await new Promise((r) => setTimeout(r, 2000));
    for (const [sy, m] of memoryOf) {
      const sampler = new ProcessSampler(sy.pid);
      await sampler.start();
      await new Promise((r) => setTimeout(r, 300));
      m.idleRssMb = (await sampler.stop()).peakRssMb;
    }

    for (const c of cases) await runLoad(loadCtx, c.target, { rate: null, durationS: 1, concurrency: 8, timeoutS: 10 });
    const rows = new Map<string, Row>(cases.map((c) => [c.name, { name: c.name, cpuMsPerRequest: [], okPerS: [], errors: 0 }]));
    for (let round = 0; round < rounds; round++) {
      for (const c of round % 2 === 0 ? cases : [...cases].reverse()) {
        const sampler = new ProcessSampler(c.system.pid);
        await sampler.start();
        const load = await runLoad(loadCtx, c.target, { rate: null, durationS, concurrency, timeoutS: 10 });
        const usage = await sampler.stop();
        const mem = memoryOf.get(c.system);
        if (mem) mem.peakRssMb = Math.max(mem.peakRssMb, usage.peakRssMb);
        const row = rows.get(c.name)!;
        row.cpuMsPerRequest.push(usage.cpuMs / Math.max(1, load.ok));
        row.okPerS.push(load.ok / durationS);
        row.errors += load.errors;
        log(`round ${round + 1}: ${c.name}: ${(usage.cpuMs / Math.max(1, load.ok)).toFixed(3)} ms CPU/req, ${(load.ok / durationS).toFixed(0)} req/s, ${load.errors} errors`);
      }
    }
    // Open loop: each Switchyard's stream, the floor's and the upstream straight (the baseline "added"
    // is measured against, as in run.ts), in interleaved rounds so background load hits them alike.
    const baseline: Case = { name: `Baseline (upstream direct, OpenAI SSE) @ ${streamRate}/s`, system: upstream, target: { kind: "stream", mode: "sse", url: `${upstream.url}/v1/chat/completions`, body: openAiBody(UPSTREAM_MODEL, true) } };
    streams.push({ name: `Floor connect-node + undici: gRPC stream @ ${streamRate}/s`, system: floor, target: grpcStream(floor) });
    const ttftCases = [baseline, ...streams];
    const ttft = new Map<string, TtftRow>(ttftCases.map((c) => [c.name, { name: c.name, rounds: [] }]));
    if (streamRate > 0) {
      for (let round = 0; round < streamRounds; round++) {
        for (const c of round % 2 === 0 ? ttftCases : [...ttftCases].reverse()) {
          const sampler = new ProcessSampler(c.system.pid);
          await sampler.start();
          const load = await runLoad(loadCtx, c.target, { rate: streamRate, durationS, concurrency: 256, timeoutS: 10 });
          const usage = await sampler.stop();
          const mem = memoryOf.get(c.system);
          if (mem) mem.peakRssMb = Math.max(mem.peakRssMb, usage.peakRssMb);
          ttft.get(c.name)!.rounds.push({ ok: load.ok, errors: load.errors, p50Ms: load.ttft?.p50Ms ?? NaN, p99Ms: load.ttft?.p99Ms ?? NaN, cpuPercent: usage.cpuPercent });
          log(`stream round ${round + 1}: ${c.name}: TTFT p50 ${load.ttft?.p50Ms.toFixed(2)} p99 ${load.ttft?.p99Ms.toFixed(2)} ms, ${load.ok} ok, ${load.errors} errors, CPU ${usage.cpuPercent.toFixed(0)}%`);
        }
      }
    }
    await report([...rows.values()], streamRate > 0 ? [...ttft.values()] : [], baseline.name, checkouts, [...memoryOf.values()]);
  } finally {
    for (const s of systems) await s.stop().catch(() => undefined);
    await upstream.stop();
  }
}

/** "K=V,K2=V2" as an environment object. */
function envPairs(text: string | undefined): Record<string, string> | undefined {
  if (!text) return undefined;
  return Object.fromEntries(text.split(",").map((pair) => [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)]));
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function report(rows: Row[], ttft: TtftRow[], baselineName: string, checkouts: Checkout[], memory: Memory[]): Promise<void> {
  const commit = async (root: string) => (await run("git", ["-C", root, "rev-parse", "--short", "HEAD"]).catch(() => "?")).trim();
  const lines = [
    `# CPU per request, before/after in one run (${new Date(started).toISOString()})`,
    "",
    `Machine: ${os.cpus()[0]?.model ?? "?"} × ${os.cpus().length}, load average at start ${loadAtStart.map((l) => l.toFixed(1)).join(" ")}, at end ${os.loadavg().map((l) => l.toFixed(1)).join(" ")} (shared machine).`,
    ...(await Promise.all(
      checkouts.map(async (c) => `- ${c.label}: ${c.root} @ ${await commit(c.root)}${c.runtime.env ? ` with ${Object.entries(c.runtime.env).map(([k, v]) => `${k}=${v}`).join(" ")}` : ""}, Node ${c.nodeVersion} (${c.runtime.node}), ${c.runtime.source === "dist" ? "compiled dist/src/main.js" : "TypeScript via its own tsx (src/main.ts)"}`),
    )),
    `- floors, mock upstream and load driver scripts: Node ${process.version} (${process.execPath})`,
    "",
    `Closed loop, ${concurrency} callers, ${durationS} s per measurement, ${rounds} interleaved rounds; CPU = utime+stime of the system's process tree from /proc per answered request. Contention from other processes only ever adds CPU per request (cache misses, less batching per event-loop turn), so the least contended round is the best estimate of the gateway's own cost; the median shows the spread.`,
    "",
    "| system / call | CPU ms per request, least contended round | median | every round | answers/s, median | errors |",
    "|---|---:|---:|---|---:|---:|",
    ...rows.map(
      (r) =>
        `| ${r.name} | ${Math.min(...r.cpuMsPerRequest).toFixed(3)} | ${median(r.cpuMsPerRequest).toFixed(3)} | ${r.cpuMsPerRequest.map((x) => x.toFixed(3)).join(", ")} | ${median(r.okPerS).toFixed(0)} | ${r.errors} |`,
    ),
    "",
  ];
  const of = (name: string) => rows.find((x) => x.name === name)?.cpuMsPerRequest ?? [NaN];
  const ratio = (a: string, b: string) => `${(Math.min(...of(a)) / Math.min(...of(b))).toFixed(2)}× | ${(median(of(a)) / median(of(b))).toFixed(2)}×`;
  lines.push("| ratio of CPU per request | least contended rounds | medians |", "|---|---:|---:|");
  if (checkouts.length > 1) {
    lines.push(`| gRPC unary via provider: after / before | ${ratio("Switchyard after: gRPC unary via provider", "Switchyard before: gRPC unary via provider")} |`);
    lines.push(`| gRPC stream via provider: after / before | ${ratio("Switchyard after: gRPC stream via provider", "Switchyard before: gRPC stream via provider")} |`);
    lines.push(`| memory-cache hit: after / before | ${ratio("Switchyard after: gRPC unary memory-cache hit", "Switchyard before: gRPC unary memory-cache hit")} |`);
    lines.push(`| gRPC unary: before / floor | ${ratio("Switchyard before: gRPC unary via provider", "Floor connect-node + undici: gRPC unary")} |`);
    lines.push(`| memory-cache hit: before / constant floor | ${ratio("Switchyard before: gRPC unary memory-cache hit", "Floor connect-node constant answer: gRPC unary")} |`);
  }
  lines.push(`| gRPC unary: after / floor | ${ratio("Switchyard after: gRPC unary via provider", "Floor connect-node + undici: gRPC unary")} |`);
  lines.push(`| gRPC stream: after / floor | ${ratio("Switchyard after: gRPC stream via provider", "Floor connect-node + undici: gRPC stream")} |`);
  lines.push(`| memory-cache hit: after / constant floor | ${ratio("Switchyard after: gRPC unary memory-cache hit", "Floor connect-node constant answer: gRPC unary")} |`);
  if (ttft.length > 0) {
    const base = ttft.find((t) => t.name === baselineName)!;
    lines.push(
      "",
      `Open loop, streaming at ${streamRate} req/s for ${durationS} s, ${streamRounds} interleaved rounds (time to first token; the mock upstream waits ${UPSTREAM.latencyMs} ms before its first chunk). Added TTFT p99 = the system's TTFT p99 − the baseline's (upstream direct) in the same round.`,
      "",
    );
    lines.push(
      "| system | TTFT p50 ms, median | TTFT p99 ms, median | TTFT p99 every round | added TTFT p99 ms, least contended round | added p99, median | ok / sent, every round | errors | CPU %, median |",
      "|---|---:|---:|---|---:|---:|---|---:|---:|",
    );
    for (const t of ttft) {
      const added = t === base ? [] : t.rounds.map((r, i) => r.p99Ms - (base.rounds[i]?.p99Ms ?? NaN));
      const sent = streamRate * durationS;
      lines.push(
        `| ${t.name} | ${median(t.rounds.map((r) => r.p50Ms)).toFixed(2)} | ${median(t.rounds.map((r) => r.p99Ms)).toFixed(2)} | ${t.rounds.map((r) => r.p99Ms.toFixed(2)).join(", ")} | ${added.length ? Math.min(...added).toFixed(2) : "–"} | ${added.length ? median(added).toFixed(2) : "–"} | ${t.rounds.map((r) => `${r.ok}/${sent}`).join(", ")} | ${t.rounds.reduce((a, r) => a + r.errors, 0)} | ${median(t.rounds.map((r) => r.cpuPercent)).toFixed(0)} |`,
      );
    }
  }
  lines.push("", "Memory (RSS of the process tree): idle = after start-up, before load; peak = highest sample during this run's load.", "");
  lines.push("| system | idle RSS MB | peak RSS MB |", "|---|---:|---:|");
  for (const m of memory) lines.push(`| ${m.name} | ${m.idleRssMb.toFixed(0)} | ${m.peakRssMb.toFixed(0)} |`);
  const resultsDir = path.join(repoRoot, "bench", "results");
  const stem = args.out ?? `${new Date(started).toISOString().slice(0, 10)}-cpu-per-request`;
  await writeFile(path.join(resultsDir, `${stem}.md`), lines.join("\n") + "\n");
  await writeFile(path.join(resultsDir, `${stem}.json`), JSON.stringify({ startedAt: new Date(started).toISOString(), rounds, durationS, concurrency, streamRate, streamRounds, loadAtStart, loadAtEnd: os.loadavg(), checkouts, rows, ttft, memory }, null, 2) + "\n");
  log(`wrote bench/results/${stem}.md`);
  process.stdout.write(lines.join("\n") + "\n");
}

await main();

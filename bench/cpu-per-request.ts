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
 * Options: --before=DIR, --rounds=N (5), --duration=S (3), --concurrency=N (16),
 * --stream-rate=N (1000, 0 = skip), --workdir=DIR, --out=NAME (results file stem).
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
import type { SwitchyardVariant } from "./lib/switchyard-config.js";
import { startFloor, startSwitchyard, startUpstream, type Dirs, type RunningSystem } from "./lib/systems.js";
import { switchyardBinaryBody, switchyardJsonBody } from "./lib/workload.js";

const { values: args } = parseArgs({
  options: {
    before: { type: "string" },
    rounds: { type: "string", default: "5" },
    duration: { type: "string", default: "3" },
    concurrency: { type: "string", default: "16" },
    "stream-rate": { type: "string", default: "1000" },
    workdir: { type: "string" },
    out: { type: "string" },
  },
});
const rounds = Number(args.rounds);
const durationS = Number(args.duration);
const concurrency = Number(args.concurrency);
const streamRate = Number(args["stream-rate"]);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const workdir = path.resolve(args.workdir ?? process.env.BENCH_WORKDIR ?? path.join(os.tmpdir(), "switchyard-bench"));
const runDir = path.join(workdir, "runs", `cpu-${new Date().toISOString().replace(/[:.]/g, "-")}`);
const started = Date.now();
const log = (line: string) => process.stdout.write(`[cpu +${((Date.now() - started) / 1000).toFixed(0)}s] ${line}\n`);

interface Case {
  name: string;
  system: RunningSystem;
  target: Target;
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
  const checkouts: Array<{ label: string; root: string }> = [...(args.before ? [{ label: "before", root: path.resolve(args.before) }] : []), { label: "after", root: repoRoot }];
  const installed = await install(workdir, repoRoot, log);
  const loadCtx: LoadContext = { tools: installed.tools, repoRoot, scratch: runDir };
  const dirsOf = (root: string, label: string): Dirs => ({ repoRoot: root, scratch: path.join(runDir, label), logs: path.join(runDir, label, "logs") });
  for (const c of checkouts) await mkdir(dirsOf(c.root, c.label).logs, { recursive: true });
  const here = dirsOf(repoRoot, "after");
  const upstream = await startUpstream(here);
  const systems: RunningSystem[] = [];
  const cases: Case[] = [];
  const streams: Case[] = [];
  try {
    const start = async (label: string, root: string, variant: SwitchyardVariant) => {
      const sy = await startSwitchyard(dirsOf(root, label), variant, "openai", upstream.url);
      systems.push(sy);
      return sy;
    };
    for (const c of checkouts) {
      const plain = await start(c.label, c.root, { kind: "plain" });
      cases.push({ name: `Switchyard ${c.label}: gRPC unary via provider`, system: plain, target: grpcUnary(plain) });
      cases.push({ name: `Switchyard ${c.label}: gRPC stream via provider`, system: plain, target: grpcStream(plain) });
      streams.push({ name: `Switchyard ${c.label}: gRPC stream @ ${streamRate}/s`, system: plain, target: grpcStream(plain) });
      const cached = await start(c.label, c.root, { kind: "cache", layer: "memory" });
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

    for (const c of cases) await runLoad(loadCtx, c.target, { rate: null, durationS: 1, concurrency: 8, timeoutS: 10 });
    const rows = new Map<string, Row>(cases.map((c) => [c.name, { name: c.name, cpuMsPerRequest: [], okPerS: [], errors: 0 }]));
    for (let round = 0; round < rounds; round++) {
      for (const c of round % 2 === 0 ? cases : [...cases].reverse()) {
        const sampler = new ProcessSampler(c.system.pid);
        await sampler.start();
        const load = await runLoad(loadCtx, c.target, { rate: null, durationS, concurrency, timeoutS: 10 });
        const usage = await sampler.stop();
        const row = rows.get(c.name)!;
        row.cpuMsPerRequest.push(usage.cpuMs / Math.max(1, load.ok));
        row.okPerS.push(load.ok / durationS);
        row.errors += load.errors;
        log(`round ${round + 1}: ${c.name}: ${(usage.cpuMs / Math.max(1, load.ok)).toFixed(3)} ms CPU/req, ${(load.ok / durationS).toFixed(0)} req/s, ${load.errors} errors`);
      }
    }
    const ttft: Array<{ name: string; ok: number; errors: number; p50Ms?: number; p99Ms?: number; cpuPercent: number }> = [];
    if (streamRate > 0) {
      for (const c of streams) {
        const sampler = new ProcessSampler(c.system.pid);
        await sampler.start();
        const load = await runLoad(loadCtx, c.target, { rate: streamRate, durationS, concurrency: 256, timeoutS: 10 });
        const usage = await sampler.stop();
        ttft.push({ name: c.name, ok: load.ok, errors: load.errors, p50Ms: load.ttft?.p50Ms, p99Ms: load.ttft?.p99Ms, cpuPercent: usage.cpuPercent });
        log(`${c.name}: TTFT p50 ${load.ttft?.p50Ms.toFixed(2)} p99 ${load.ttft?.p99Ms.toFixed(2)} ms, ${load.errors} errors, gateway CPU ${usage.cpuPercent.toFixed(0)}%`);
      }
    }
    await report([...rows.values()], ttft, checkouts);
  } finally {
    for (const s of systems) await s.stop().catch(() => undefined);
    await upstream.stop();
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function report(rows: Row[], ttft: Array<{ name: string; ok: number; errors: number; p50Ms?: number; p99Ms?: number; cpuPercent: number }>, checkouts: Array<{ label: string; root: string }>): Promise<void> {
  const commit = async (root: string) => (await run("git", ["-C", root, "rev-parse", "--short", "HEAD"]).catch(() => "?")).trim();
  const lines = [
    `# CPU per request, before/after in one run (${new Date(started).toISOString()})`,
    "",
    `Machine: ${os.cpus()[0]?.model ?? "?"} × ${os.cpus().length}, Node ${process.version}, load average at end ${os.loadavg().map((l) => l.toFixed(1)).join(" ")} (shared machine).`,
    ...(await Promise.all(checkouts.map(async (c) => `- ${c.label}: ${c.root} @ ${await commit(c.root)}`))),
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
    lines.push("", `Open loop, streaming at ${streamRate} req/s for ${durationS} s (time to first token; the mock upstream waits 10 ms before its first chunk):`, "");
    lines.push("| system | TTFT p50 ms | TTFT p99 ms | ok | errors | gateway CPU % |", "|---|---:|---:|---:|---:|---:|");
    for (const t of ttft) lines.push(`| ${t.name} | ${t.p50Ms?.toFixed(2) ?? "–"} | ${t.p99Ms?.toFixed(2) ?? "–"} | ${t.ok} | ${t.errors} | ${t.cpuPercent.toFixed(0)} |`);
  }
  const resultsDir = path.join(repoRoot, "bench", "results");
  const stem = args.out ?? `${new Date(started).toISOString().slice(0, 10)}-cpu-per-request`;
  await writeFile(path.join(resultsDir, `${stem}.md`), lines.join("\n") + "\n");
  await writeFile(path.join(resultsDir, `${stem}.json`), JSON.stringify({ startedAt: new Date(started).toISOString(), rounds, durationS, concurrency, streamRate, checkouts, rows, ttft }, null, 2) + "\n");
  log(`wrote bench/results/${stem}.md`);
  process.stdout.write(lines.join("\n") + "\n");
}

await main();

/**
 * The report's rows for one gateway process serving from 1 and from N
 * worker threads (server_settings.workers): max throughput, CPU, and memory
 * per worker. Worker threads share one process, so RSS is sampled for the
 * process and divided by the workers for the per-worker figure.
 */
import { cpuMsPerRequest, type TargetCheck } from "./report.js";
import type { Measurement, RunData } from "./results.js";
import { ratio } from "./stats.js";

export const WORKER_TARGETS = {
  /** Max throughput with workers: 2 against workers: 1, same run. */
  scaling: 1.3,
  /** Idle RSS of one worker must stay under the 2026-11-25 figure (tsx, Node 20). */
  idleRssMb: 182,
} as const;

interface WorkerRun {
  workers: number;
  max: Measurement;
  idleRssMb?: number;
}

function workerRuns(data: RunData): WorkerRun[] {
  return data.measurements
    .filter((m) => m.group === "workers" && m.load.requestedRate === null)
    .map((max) => {
      const workers = Number(/^switchyard-workers-(\d+)\//.exec(max.id)?.[1]);
      return { workers, max, idleRssMb: data.idleMemory.find((i) => i.system === max.system)?.rssMb };
    })
    .sort((a, b) => a.workers - b.workers);
}

export function workersChecks(data: RunData): TargetCheck[] {
  const runs = workerRuns(data);
  const one = runs.find((r) => r.workers === 1);
  const two = runs.find((r) => r.workers === 2);
  const scaling = one && two ? two.max.load.achievedRate / one.max.load.achievedRate : undefined;
  return [
    {
      target: `max throughput with workers: 2 ≥ ${WORKER_TARGETS.scaling}× workers: 1 (gRPC unary, same run)`,
      measured: scaling === undefined ? "not measured" : `${scaling.toFixed(2)}× (${one!.max.load.achievedRate.toFixed(0)} → ${two!.max.load.achievedRate.toFixed(0)} req/s)`,
      met: scaling === undefined ? undefined : scaling >= WORKER_TARGETS.scaling,
    },
    {
      target: `idle RSS of one worker < ${WORKER_TARGETS.idleRssMb} MB`,
      measured: one?.idleRssMb === undefined ? "not measured" : `${one.idleRssMb.toFixed(0)} MB`,
      met: one?.idleRssMb === undefined ? undefined : one.idleRssMb < WORKER_TARGETS.idleRssMb,
    },
  ];
}

/** Markdown section, or undefined when the run had no workers part. */
export function workersSection(data: RunData): string | undefined {
  const runs = workerRuns(data);
  if (runs.length === 0) return undefined;
  const one = runs.find((r) => r.workers === 1);
  const f = (n: number | undefined, digits = 0) => (n === undefined || !Number.isFinite(n) ? "—" : n.toFixed(digits));
  const rows = runs.map(({ workers, max, idleRssMb }) => [
    String(workers),
    f(max.load.achievedRate),
    one ? ratio(max.load.achievedRate, one.max.load.achievedRate) : "—",
    String(max.load.errors),
    f(max.load.latency.p99Ms, 1),
    f(max.gateway?.cpuPercent),
    f(cpuMsPerRequest(max), 2),
    f(idleRssMb),
    f(max.gateway?.peakRssMb),
    f(max.gateway ? max.gateway.peakRssMb / workers : undefined),
    f(max.loadTool?.cpuPercent),
  ]);
  const header = ["workers", "max req/s", "× workers: 1", "errors", "p99 ms", "CPU %", "CPU ms / req", "idle RSS MB", "peak RSS MB (process)", "peak RSS MB per worker", "load tool CPU %"];
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [
    "## Workers (server_settings.workers, gRPC unary max throughput)",
    "",
    "One gateway process serving from 1 and from 2 worker threads on the same port (SO_REUSEPORT), routing state in shared memory. " +
      "The load tool and the mock upstream share the same cores, so on a 2-core machine the second worker competes with them. " +
      "Threads share one process: RSS is the process's, and the per-worker figure is that divided by the workers (the main thread's share included).",
    "",
    [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n"),
  ].join("\n");
}

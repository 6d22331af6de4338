import { describe, expect, it } from "vitest";
import type { Measurement, RunData } from "../../bench/lib/results.js";
import { workersChecks, workersSection } from "../../bench/lib/workers-report.js";

function maxRun(workers: number, achievedRate: number, peakRssMb: number): Measurement {
  return {
    id: `switchyard-workers-${workers}/grpc/unary`,
    system: `Switchyard, workers: ${workers}`,
    group: "workers",
    protocol: "gRPC",
    call: "unary",
    load: { tool: "ghz", requestedRate: null, sent: 1000, ok: 1000, errors: 0, errorSamples: [], achievedRate, latency: { p50Ms: 5, p90Ms: 8, p99Ms: 12, maxMs: 20 } },
    gateway: { peakRssMb, cpuPercent: 100 * workers, cpuMs: 500 },
    upstream: { peakRssMb: 50, cpuPercent: 20, cpuMs: 100 },
  };
}

function run(measurements: Measurement[], idle: Array<[number, number]>): RunData {
  return {
    date: "2026-11-28",
    startedAt: "2026-11-28T03:00:00.000Z",
    profile: "quick",
    machine: {},
    versions: {},
    peers: [],
    switchyardUpstream: "openai",
    settings: { rates: [], durationS: 1, warmupS: 1, maxDurationS: 2, concurrency: 128, timeoutS: 3, upstream: { latencyMs: 10, chunkCount: 8, chunkDelayMs: 5 } },
    measurements,
    skipped: [],
    profiles: [],
    idleMemory: idle.map(([workers, rssMb]) => ({ system: `Switchyard, workers: ${workers}`, rssMb })),
    durationS: 10,
  };
}

describe("bench workers rows", () => {
  it("marks scaling and idle memory met or not from the same run", () => {
    const met = workersChecks(run([maxRun(1, 4000, 150), maxRun(2, 5600, 260)], [[1, 100], [2, 160]]));
    expect(met.map((c) => c.met)).toEqual([true, true]);
    expect(met[0]!.measured).toBe("1.40× (4000 → 5600 req/s)");
    const notMet = workersChecks(run([maxRun(1, 4000, 150), maxRun(2, 4400, 260)], [[1, 190]]));
    expect(notMet.map((c) => c.met)).toEqual([false, false]);
    expect(workersChecks(run([], [])).map((c) => c.met)).toEqual([undefined, undefined]);
  });

  it("reports peak RSS per worker as the process's divided by its workers", () => {
    const section = workersSection(run([maxRun(2, 5600, 260), maxRun(1, 4000, 150)], [[1, 100], [2, 160]]))!;
    const rows = section.split("\n").filter((l) => /^\| [12] \|/.test(l));
    expect(rows[0]).toBe("| 1 | 4000 | 1.00× | 0 | 12.0 | 100 | 0.50 | 100 | 150 | 150 | — |");
    expect(rows[1]).toBe("| 2 | 5600 | 1.40× | 0 | 12.0 | 200 | 0.50 | 160 | 260 | 130 | — |");
    expect(workersSection(run([], []))).toBeUndefined();
  });
});

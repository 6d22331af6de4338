import { describe, expect, it } from "vitest";
import type { LoadResult } from "../../bench/lib/load-results.js";
import { added, checkTargets, renderReport } from "../../bench/lib/report.js";
import type { Measurement, RunData } from "../../bench/lib/results.js";

const usage = { peakRssMb: 100, cpuPercent: 50, cpuMs: 500 };

function load(rate: number | null, p50: number, p90: number, p99: number, extra: Partial<LoadResult> = {}): LoadResult {
  return { tool: "vegeta", requestedRate: rate, sent: 1000, ok: 1000, errors: 0, errorSamples: [], achievedRate: rate ?? 5000, latency: { p50Ms: p50, p90Ms: p90, p99Ms: p99, maxMs: p99 + 1 }, ...extra };
}

function m(id: string, group: Measurement["group"], system: string, call: "unary" | "stream", l: LoadResult): Measurement {
  return { id, system, group, protocol: id.includes("grpc") ? "gRPC" : "OpenAI HTTP", call, load: l, gateway: group === "baseline" ? undefined : usage, upstream: usage };
}

function runData(measurements: Measurement[]): RunData {
  return {
    date: "2026-11-25",
    startedAt: "2026-11-25T14:00:00.000Z",
    profile: "quick",
    machine: { CPU: "test × 2" },
    versions: { vegeta: "v12.13.0" },
    peers: [{ name: "Bifrost", version: "v1.3.0", installed: false, detail: "403 Forbidden | not available" }],
    switchyardUpstream: "openai",
    settings: { rates: [1000], durationS: 4, warmupS: 1, maxDurationS: 3, concurrency: 128, timeoutS: 3, upstream: { latencyMs: 10, chunkCount: 8, chunkDelayMs: 5 } },
    measurements,
    skipped: [{ id: "bifrost/http/*", system: "Bifrost v1.3.0", reason: "did not install: 403 Forbidden" }],
    profiles: [],
    idleMemory: [{ system: "Switchyard", rssMb: 80.4 }],
    durationS: 120,
  };
}

const ttft = (p50: number, p90: number, p99: number) => ({ p50Ms: p50, p90Ms: p90, p99Ms: p99, maxMs: p99 });

const data = runData([
  m("upstream/http/unary", "baseline", "Baseline", "unary", load(1000, 10, 11, 12)),
  m("upstream/http/stream", "baseline", "Baseline", "stream", load(1000, 50, 52, 55, { ttft: ttft(10, 10.5, 11) })),
  m("upstream/http/unary", "baseline", "Baseline", "unary", load(null, 11, 12, 20, { achievedRate: 10000 })),
  m("switchyard/grpc/unary", "switchyard", "Switchyard", "unary", load(1000, 10.2, 11.4, 13)),
  m("switchyard/grpc/stream", "switchyard", "Switchyard", "stream", load(1000, 51, 53, 57, { ttft: ttft(10.3, 11, 13) })),
  m("switchyard/grpc/unary", "switchyard", "Switchyard", "unary", load(null, 20, 30, 40, { achievedRate: 4000 })),
  m("switchyard-cache-memory/grpc/unary", "cache", "Switchyard cache hit (memory)", "unary", load(null, 2, 3, 4, { achievedRate: 12000 })),
  m("litellm/http/unary", "peer", "LiteLLM 1.82.6", "unary", load(1000, 14, 20, 40)),
  m("litellm/http/stream", "peer", "LiteLLM 1.82.6", "stream", load(1000, 60, 70, 90, { ttft: ttft(15, 18, 12.5) })),
  m("litellm/http/unary", "peer", "LiteLLM 1.82.6", "unary", load(null, 200, 300, 400, { achievedRate: 400 })),
  m("switchyard-cache-memory/grpc/unary", "cache", "Switchyard cache hit (memory)", "unary", load(1000, 0.7, 2, 5)),
  m("portkey/http/unary", "peer", "Portkey", "unary", load(1000, 12, 13, 20)),
  // Every streamed request failed: no percentiles.
  m("portkey/http/stream", "peer", "Portkey", "stream", load(1000, NaN, NaN, NaN, { ok: 0, errors: 1000, ttft: ttft(NaN, NaN, NaN) })),
]);

describe("benchmark report", () => {
  it("computes added latency against the baseline of the same call type and rate", () => {
    const sy = data.measurements.find((x) => x.id === "switchyard/grpc/unary" && x.load.requestedRate === 1000)!;
    const a = added(data, sy)!;
    expect(a.p50Ms).toBeCloseTo(0.2, 10);
    expect(a.p99Ms).toBeCloseTo(1, 10);
    const stream = data.measurements.find((x) => x.id === "switchyard/grpc/stream")!;
    expect(added(data, stream, true)!.p99Ms).toBeCloseTo(2, 10);
  });

  it("checks each target from the measured figures", () => {
    const checks = Object.fromEntries(checkTargets(data).map((c) => [c.target, c]));
    expect(checks["unary added p50 ≤ 0.3 ms at 1000 req/s (gRPC)"]).toMatchObject({ met: true, measured: "0.200 ms" });
    expect(checks["unary added p99 ≤ 1.5 ms at 1000 req/s (gRPC)"].met).toBe(true);
    expect(checks["unary added p50 ≤ 0.3 ms at 1000 req/s (Connect)"]).toMatchObject({ met: undefined, measured: "not measured" });
    expect(checks["stream added TTFT p99 ≤ 1.5 ms at 1000 req/s (gRPC)"]).toMatchObject({ met: false, measured: "2.000 ms" });
    expect(checks["memory-cache hits ≥ 10000 req/s over gRPC"]).toMatchObject({ met: true, measured: "12000 req/s" });
    // Switchyard's added TTFT p99 (2 ms) is worse than LiteLLM's (1.5 ms); the other five figures are better.
    expect(checks["ahead of LiteLLM 1.82.6 on every latency figure at 1000 req/s (Switchyard over gRPC)"]).toMatchObject({ met: false, measured: "ahead on 5 of 6" });
    // No Connect runs in this data: nothing to compare.
    expect(checks["ahead of LiteLLM 1.82.6 on every latency figure at 1000 req/s (Switchyard over Connect)"]).toMatchObject({ met: undefined, measured: "ahead on 0 of 0" });
    // Figures a peer could not produce (all its streams failed) are left out, not counted as a win or a loss.
    expect(checks["ahead of Portkey on every latency figure at 1000 req/s (Switchyard over gRPC)"]).toMatchObject({ met: true, measured: "ahead on 3 of 3" });
  });

  it("compares Switchyard's /v1/chat/completions with Portkey on the same wire (added p50 and p99, TTFT for SSE)", () => {
    const withOpenAi = runData([
      ...data.measurements,
      // Unary: adds 0.5 / 3 ms where Portkey adds 2 / 8 ms → met.
      m("switchyard/openai/unary", "switchyard", "Switchyard", "unary", load(1000, 10.5, 12, 15)),
      // SSE TTFT: p50 better than LiteLLM's, p99 (14 - 11 = 3 ms) worse than LiteLLM's 1.5 ms.
      m("switchyard/openai/stream", "switchyard", "Switchyard", "stream", load(1000, 51, 53, 57, { ttft: ttft(10.4, 11, 14) })),
    ]);
    const checks = Object.fromEntries(checkTargets(withOpenAi).map((c) => [c.target, c]));
    expect(checks["Switchyard /v1/chat/completions unary added p50 and p99 < Portkey's at 1000 req/s (same run, same wire)"]).toMatchObject({
      met: true,
      measured: "p50 0.500 vs 2.000 ms, p99 3.000 vs 8.000 ms",
    });
    // Portkey's streams all failed in this data: no comparison, not a win.
    expect(checks["Switchyard /v1/chat/completions SSE TTFT added p50 and p99 < Portkey's at 1000 req/s (same run, same wire)"]).toMatchObject({
      met: undefined,
      measured: "not measured (Portkey)",
    });
    expect(checks["ahead of LiteLLM 1.82.6 on every latency figure at 1000 req/s (Switchyard over OpenAI HTTP/SSE)"]).toMatchObject({ met: false, measured: "ahead on 5 of 6" });
    // Without the OpenAI rows the target is reported as not measured rather than met.
    const without = Object.fromEntries(checkTargets(data).map((c) => [c.target, c]));
    expect(without["Switchyard /v1/chat/completions unary added p50 and p99 < Portkey's at 1000 req/s (same run, same wire)"]).toMatchObject({
      met: undefined,
      measured: "not measured (Switchyard)",
    });

    const md = renderReport(withOpenAi, "x.png");
    expect(md).toMatch(/\| Portkey \| unary added p99 ms \(vs Switchyard OpenAI HTTP, same wire\) \| 8\.000 \| 3\.000 \| 2\.67× \|/);
    expect(md).toMatch(/\| LiteLLM 1\.82\.6 \| stream added TTFT p50 ms \(vs Switchyard OpenAI SSE, same wire\) \| 5\.000 \| 0\.400 \| 12\.50× \|/);
    expect(md).toMatch(/\| Switchyard \/v1\/chat\/completions unary added p50 and p99 < Portkey's at 1000 req\/s \(same run, same wire\) \| p50 0\.500 vs 2\.000 ms, p99 3\.000 vs 8\.000 ms \| yes \|/);
  });

  it("prints ratios against the baseline and against each peer, and why a peer is missing", () => {
    const md = renderReport(data, "2026-11-25-quick.png", "## Analysis\n\nWritten by hand.");
    expect(md).toContain("## Analysis\n\nWritten by hand.\n\n## Machine and versions");
    expect(md).toContain("shared, noisy 2-core machine");
    expect(md).toContain("![latency percentiles per system](2026-11-25-quick.png)");
    // Unary row: p99 13 ms over the baseline's 12 ms; 500 ms of CPU for 1000 answers = 0.50 ms per request.
    expect(md).toMatch(/\| Switchyard \| gRPC \| 1000 \/ 1000 \| 0 \| 10\.20 \| 11\.40 \| 13\.00 \| 0\.200 \| 0\.400 \| 1\.000 \| 1\.08× \| 50 \| 0\.50 \| 100 \|/);
    // Max throughput: 4000 vs baseline 10000, LiteLLM 400 = 0.10× of Switchyard gRPC.
    expect(md).toMatch(/\| Switchyard \| gRPC \| 4000 \| 0\.40× \| 1\.00× \|/);
    expect(md).toMatch(/\| LiteLLM 1\.82\.6 \| OpenAI HTTP \| 400 \| 0\.04× \| 0\.10× \|/);
    // Peer table: LiteLLM adds 4 ms at p50 where Switchyard adds 0.2 ms → 20×.
    expect(md).toMatch(/\| LiteLLM 1\.82\.6 \| unary added p50 ms \(vs Switchyard gRPC\) \| 4\.000 \| 0\.200 \| 20\.00× \|/);
    expect(md).toContain("| Switchyard | 80 | 100 |");
    // A cache hit's row has no "added over the upstream" figures.
    expect(md).toMatch(/\| Switchyard cache hit \(memory\) \| gRPC \| 1000 \/ 1000 \| 0 \| 0\.700 \| 2\.000 \| 5\.000 \| — \| — \| — \|/);
    // A pipe in a reason must not break the table.
    expect(md).toContain("403 Forbidden \\| not available");
    expect(md).toContain("| bifrost/http/* | Bifrost v1.3.0 | did not install: 403 Forbidden |");
  });

  it("puts the protocols' CPU profiles side by side by area", () => {
    const finding = (protocol: string, connectShare: number, cpuMsPerRequest: number) => ({
      protocol,
      scenario: "unary at 1000 req/s for 3 s",
      cpuMsPerRequest,
      frames: [{ functionName: "writev", location: "(native)", selfPercent: 5 }],
      ours: [{ functionName: "routeWithinGroup", location: "src/router/router.ts", selfPercent: 12.5 }],
      areas: [
        { area: "Node core (node:*)", selfPercent: 40 },
        { area: "@connectrpc/connect", selfPercent: connectShare },
      ],
      file: `/tmp/${protocol}.cpuprofile`,
    });
    const md = renderReport({ ...data, profiles: [finding("gRPC", 15, 0.8), { ...finding("Connect JSON", 10, 0.45), areas: [{ area: "@connectrpc/connect", selfPercent: 10 }] }] }, "x.png");
    expect(md).toContain("| self time by area | gRPC % | Connect JSON % |");
    expect(md).toContain("| Node core (node:*) | 40.0 | — |");
    expect(md).toContain("| @connectrpc/connect | 15.0 | 10.0 |");
    expect(md).toContain("| *CPU ms per request (profiled run)* | 0.80 | 0.45 |");
    expect(md).toContain("| 12.5 | `routeWithinGroup` | `src/router/router.ts` |");
  });
});

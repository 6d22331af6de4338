import { describe, expect, it } from "vitest";
import { fromGhz, fromStreamload, fromVegeta } from "../../bench/lib/load-results.js";

describe("load tool reports", () => {
  it("reads vegeta's JSON report (nanoseconds, success ratio)", () => {
    // Shape of `vegeta report -type=json` (v12), values from a real run with 3 failures.
    const json = JSON.stringify({
      latencies: { total: 30819706825, mean: 10273235, "50th": 10370707, "90th": 10830721, "95th": 11000471, "99th": 12482261, max: 14729178, min: 9186355 },
      bytes_in: { total: 1935000, mean: 645 },
      bytes_out: { total: 204000, mean: 68 },
      earliest: "2026-11-25T12:12:11.5970575Z",
      latest: "2026-11-25T12:12:14.595881299Z",
      end: "2026-11-25T12:12:14.605933849Z",
      duration: 2998823799,
      wait: 10052550,
      requests: 3000,
      rate: 1000.39,
      throughput: 996.05,
      success: 0.999,
      status_codes: { "200": 2997, "0": 3 },
      errors: ["Post \"http://x\": EOF", "Post \"http://x\": EOF", "timeout"],
    });
    const r = fromVegeta(json, 1000);
    expect(r).toMatchObject({ tool: "vegeta", requestedRate: 1000, sent: 3000, ok: 2997, errors: 3, achievedRate: 996.05 });
    expect(r.latency.p50Ms).toBeCloseTo(10.370707, 6);
    expect(r.latency.p90Ms).toBeCloseTo(10.830721, 6);
    expect(r.latency.p99Ms).toBeCloseTo(12.482261, 6);
    expect(r.latency.maxMs).toBeCloseTo(14.729178, 6);
    expect(r.errorSamples).toEqual(['Post "http://x": EOF', "timeout"]);
  });

  it("reads ghz's JSON report (nanoseconds, outcomes by gRPC status)", () => {
    const json = JSON.stringify({
      count: 2000,
      total: 2_000_000_000,
      average: 1_200_000,
      fastest: 400_000,
      slowest: 9_000_000,
      rps: 1000,
      errorDistribution: { "rpc error: code = Unavailable desc = upstream down": 4 },
      statusCodeDistribution: { OK: 1996, Unavailable: 4 },
      latencyDistribution: [
        { percentage: 10, latency: 500_000 },
        { percentage: 50, latency: 1_100_000 },
        { percentage: 90, latency: 2_000_000 },
        { percentage: 99, latency: 5_500_000 },
      ],
    });
    const r = fromGhz(json, null);
    expect(r).toMatchObject({ tool: "ghz", requestedRate: null, sent: 2000, ok: 1996, errors: 4 });
    expect(r.achievedRate).toBeCloseTo(998, 6);
    expect(r.latency).toEqual({ p50Ms: 1.1, p90Ms: 2, p99Ms: 5.5, maxMs: 9 });
    expect(r.errorSamples).toEqual(["rpc error: code = Unavailable desc = upstream down"]);
  });

  it("treats a ghz run where nothing answered as zero throughput, not a crash", () => {
    const r = fromGhz(JSON.stringify({ count: 0, total: 0, slowest: 0, latencyDistribution: null, statusCodeDistribution: null, errorDistribution: null }), 1000);
    expect(r.ok).toBe(0);
    expect(r.achievedRate).toBe(0);
    expect(r.latency.p50Ms).toBeNaN();
  });

  it("computes streamload percentiles from its raw samples", () => {
    const ttftMs = Array.from({ length: 101 }, (_, i) => 10 + i / 100); // 10.00 .. 11.00
    const totalMs = ttftMs.map((t) => t + 40);
    const r = fromStreamload(JSON.stringify({ requests: 102, errors: 1, errorSamples: ["HTTP 500: x"], durationS: 2, ttftMs, totalMs }), 50);
    expect(r).toMatchObject({ tool: "streamload", requestedRate: 50, sent: 102, ok: 101, errors: 1, achievedRate: 50.5 });
    expect(r.ttft!.p50Ms).toBeCloseTo(10.5, 10);
    expect(r.ttft!.p99Ms).toBeCloseTo(10.99, 10);
    expect(r.latency.p50Ms).toBeCloseTo(50.5, 10);
  });
});

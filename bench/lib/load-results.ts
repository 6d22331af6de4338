/**
 * One shape for what every load tool reports (vegeta, ghz, our streamload),
 * parsed from each tool's JSON output. Pure; unit-tested against the tools'
 * documented field names.
 */
import { summarize, type Percentiles } from "./stats.js";

export interface LoadResult {
  tool: "vegeta" | "ghz" | "streamload";
  /** Requests per second asked for; null for a fixed-concurrency max-throughput run. */
  requestedRate: number | null;
  sent: number;
  ok: number;
  errors: number;
  /** A few distinct error messages, for the report. */
  errorSamples: string[];
  /** Successful responses per second over the run. */
  achievedRate: number;
  /** Whole-response latency. */
  latency: Percentiles;
  /** Streaming only: time to the first streamed message. */
  ttft?: Percentiles;
}

const NS_PER_MS = 1e6;

interface VegetaReport {
  latencies: { "50th": number; "90th": number; "99th": number; max: number };
  requests: number;
  throughput: number;
  success: number;
  errors: string[] | null;
  status_codes: Record<string, number>;
}

/** `vegeta report -type=json`: latencies in nanoseconds, `success` a 0..1 ratio. */
export function fromVegeta(json: string, requestedRate: number | null): LoadResult {
  const r = JSON.parse(json) as VegetaReport;
  const ok = Math.round(r.success * r.requests);
  return {
    tool: "vegeta",
    requestedRate,
    sent: r.requests,
    ok,
    errors: r.requests - ok,
    errorSamples: [...new Set(r.errors ?? [])].slice(0, 5),
    achievedRate: r.throughput,
    latency: {
      p50Ms: r.latencies["50th"] / NS_PER_MS,
      p90Ms: r.latencies["90th"] / NS_PER_MS,
      p99Ms: r.latencies["99th"] / NS_PER_MS,
      maxMs: r.latencies.max / NS_PER_MS,
    },
  };
}

interface GhzReport {
  count: number;
  total: number;
  slowest: number;
  latencyDistribution: Array<{ percentage: number; latency: number }> | null;
  statusCodeDistribution: Record<string, number> | null;
  errorDistribution: Record<string, number> | null;
}

/** `ghz --format json`: durations in nanoseconds, outcomes keyed by gRPC status name. */
export function fromGhz(json: string, requestedRate: number | null): LoadResult {
  const r = JSON.parse(json) as GhzReport;
  const ok = r.statusCodeDistribution?.OK ?? 0;
  const at = (p: number) => (r.latencyDistribution?.find((d) => d.percentage === p)?.latency ?? Number.NaN) / NS_PER_MS;
  return {
    tool: "ghz",
    requestedRate,
    sent: r.count,
    ok,
    errors: r.count - ok,
    errorSamples: Object.keys(r.errorDistribution ?? {}).slice(0, 5),
    achievedRate: r.total > 0 ? ok / (r.total / 1e9) : 0,
    latency: { p50Ms: at(50), p90Ms: at(90), p99Ms: at(99), maxMs: r.slowest / NS_PER_MS },
  };
}

interface StreamloadReport {
  requests: number;
  errors: number;
  errorSamples: string[];
  durationS: number;
  ttftMs: number[];
  totalMs: number[];
}

/** Our Go streamload tool: raw per-request samples in milliseconds. */
export function fromStreamload(json: string, requestedRate: number | null): LoadResult {
  const r = JSON.parse(json) as StreamloadReport;
  const ok = r.requests - r.errors;
  return {
    tool: "streamload",
    requestedRate,
    sent: r.requests,
    ok,
    errors: r.errors,
    errorSamples: [...new Set(r.errorSamples)],
    achievedRate: r.durationS > 0 ? ok / r.durationS : 0,
    latency: summarize(r.totalMs),
    ttft: summarize(r.ttftMs),
  };
}

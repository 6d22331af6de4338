/** Latency summaries and the comparisons the report prints. Pure; unit-tested. */

export interface Percentiles {
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
}

/**
 * The p-th percentile (0..100) of unsorted samples, by linear interpolation
 * between closest ranks (the same definition as numpy's default), so small
 * sample counts still give stable values. NaN for no samples.
 */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  if (p < 0 || p > 100) throw new RangeError(`percentile must be within 0..100, got ${p}`);
  const sorted = [...samples].sort((a, b) => a - b);
  return percentileOfSorted(sorted, p);
}

function percentileOfSorted(sorted: readonly number[], p: number): number {
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
}

export function summarize(samples: readonly number[]): Percentiles {
  if (samples.length === 0) return { p50Ms: Number.NaN, p90Ms: Number.NaN, p99Ms: Number.NaN, maxMs: Number.NaN };
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    p50Ms: percentileOfSorted(sorted, 50),
    p90Ms: percentileOfSorted(sorted, 90),
    p99Ms: percentileOfSorted(sorted, 99),
    maxMs: sorted[sorted.length - 1],
  };
}

/**
 * What a system adds over the baseline at each percentile (may be negative: noise). A missing figure
 * stays missing: NaN in memory, and null once a run's JSON has been read back (JSON has no NaN).
 */
export function addedOver(system: Percentiles, baseline: Percentiles): Percentiles {
  const diff = (a: number | null, b: number | null) => (typeof a === "number" && typeof b === "number" ? a - b : Number.NaN);
  return {
    p50Ms: diff(system.p50Ms, baseline.p50Ms),
    p90Ms: diff(system.p90Ms, baseline.p90Ms),
    p99Ms: diff(system.p99Ms, baseline.p99Ms),
    maxMs: diff(system.maxMs, baseline.maxMs),
  };
}

/**
 * How many times larger `value` is than `reference`, as the report prints
 * it ("2.31×"); "—" when either is missing or the reference is not positive
 * (an added latency at or below zero has no meaningful ratio).
 */
export function ratio(value: number, reference: number): string {
  if (!Number.isFinite(value) || !Number.isFinite(reference) || reference <= 0) return "—";
  return `${(value / reference).toFixed(2)}×`;
}

/** Milliseconds to print: 3 significant decimals below 10 ms, fewer above. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return "—";
  const abs = Math.abs(ms);
  if (abs < 10) return ms.toFixed(3);
  if (abs < 100) return ms.toFixed(2);
  return ms.toFixed(1);
}

/** Whether a measured value meets a "≤ target" goal; undefined when not measured. */
export function meets(value: number, targetAtMost: number): boolean | undefined {
  return Number.isFinite(value) ? value <= targetAtMost : undefined;
}

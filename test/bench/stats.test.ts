import { describe, expect, it } from "vitest";
import { addedOver, formatMs, percentile, ratio, summarize } from "../../bench/lib/stats.js";

describe("percentile", () => {
  it("interpolates linearly between closest ranks, like numpy's default", () => {
    const samples = [4, 1, 3, 2]; // sorted: 1 2 3 4
    expect(percentile(samples, 0)).toBe(1);
    expect(percentile(samples, 100)).toBe(4);
    expect(percentile(samples, 50)).toBe(2.5);
    // rank = 0.9 * 3 = 2.7 → 3 + 0.7 * (4 - 3)
    expect(percentile(samples, 90)).toBeCloseTo(3.7, 10);
  });

  it("gives the single value for one sample and NaN for none", () => {
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });

  it("rejects a percentile outside 0..100", () => {
    expect(() => percentile([1], 101)).toThrow(/0\.\.100/);
  });

  it("does not reorder the caller's array", () => {
    const samples = [3, 1, 2];
    percentile(samples, 50);
    expect(samples).toEqual([3, 1, 2]);
  });
});

describe("summarize", () => {
  it("reports p50, p90, p99 and max of 1..100", () => {
    const samples = Array.from({ length: 100 }, (_, i) => 100 - i);
    const s = summarize(samples);
    expect(s.p50Ms).toBeCloseTo(50.5, 10);
    expect(s.p90Ms).toBeCloseTo(90.1, 10);
    expect(s.p99Ms).toBeCloseTo(99.01, 10);
    expect(s.maxMs).toBe(100);
  });
});

describe("comparisons", () => {
  it("subtracts the baseline percentile by percentile", () => {
    const added = addedOver({ p50Ms: 10.4, p90Ms: 11, p99Ms: 13, maxMs: 20 }, { p50Ms: 10.1, p90Ms: 10.5, p99Ms: 11.5, maxMs: 15 });
    expect(added.p50Ms).toBeCloseTo(0.3, 10);
    expect(added.p90Ms).toBeCloseTo(0.5, 10);
    expect(added.p99Ms).toBeCloseTo(1.5, 10);
    expect(added.maxMs).toBeCloseTo(5, 10);
  });

  it("keeps a missing percentile missing, also as the null a JSON round trip leaves", () => {
    const failed = JSON.parse(JSON.stringify({ p50Ms: Number.NaN, p90Ms: Number.NaN, p99Ms: 5, maxMs: 6 }));
    expect(failed.p50Ms).toBeNull();
    const added = addedOver(failed, { p50Ms: 1, p90Ms: 1, p99Ms: 1, maxMs: 1 });
    expect(added.p50Ms).toBeNaN();
    expect(added.p90Ms).toBeNaN();
    expect(added.p99Ms).toBe(4);
  });

  it("prints ratios with two decimals and refuses a non-positive or missing reference", () => {
    expect(ratio(3, 2)).toBe("1.50×");
    expect(ratio(1, 0)).toBe("—");
    expect(ratio(1, -0.2)).toBe("—");
    expect(ratio(Number.NaN, 1)).toBe("—");
  });

  it("prints milliseconds with precision that fits their size", () => {
    expect(formatMs(0.1234)).toBe("0.123");
    expect(formatMs(12.345)).toBe("12.35");
    expect(formatMs(1234.56)).toBe("1234.6");
    expect(formatMs(Number.NaN)).toBe("—");
  });
});

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { GatewayMetrics } from "../../src/observability/metrics.js";

/**
 * deploy/grafana/switchyard-dashboard.json may only use metrics the
 * gateway exports: every metric name in every panel expression must be in
 * the exposition (histograms through their _bucket/_sum/_count series).
 */
const dashboard = JSON.parse(readFileSync(new URL("../../deploy/grafana/switchyard-dashboard.json", import.meta.url), "utf8")) as {
  panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
};

/** Identifiers in PromQL that are metric names: ours all start with switchyard_. */
function metricNames(expr: string): string[] {
  return [...expr.matchAll(/\b([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?=\{|\[|\)|$)/g)].map((m) => m[1]!).filter((n) => n.startsWith("switchyard_"));
}

describe("Grafana dashboard", () => {
  it("uses only metric names the gateway exports", async () => {
    const exposition = await new GatewayMetrics(async () => [{ deployment: "d", state: "healthy" }]).exposition();
    const exported = new Set<string>();
    for (const line of exposition.split("\n")) {
      const match = /^# TYPE (\S+) (\S+)/.exec(line);
      if (!match) continue;
      const [, name, type] = match;
      exported.add(name!);
      if (type === "histogram") for (const suffix of ["_bucket", "_sum", "_count"]) exported.add(name! + suffix);
    }
    const used = dashboard.panels.flatMap((p) => p.targets.flatMap((t) => metricNames(t.expr).map((name) => ({ panel: p.title, name }))));
    expect(used.length).toBeGreaterThan(10);
    expect(used.filter((u) => !exported.has(u.name))).toEqual([]);
  });

  it("finds metric names in PromQL the way the check relies on", () => {
    expect(metricNames('sum by (le) (rate(switchyard_x_bucket{a="b"}[5m])) / sum(switchyard_y)')).toEqual(["switchyard_x_bucket", "switchyard_y"]);
  });
});

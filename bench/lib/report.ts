/**
 * Renders a run as the Markdown report: every figure is computed here from
 * the measurements of the same run (added latency over the baseline, ratios
 * against the baseline and against each peer, the issue's targets). Pure;
 * unit-tested.
 */
import type { Percentiles } from "./stats.js";
import { addedOver, formatMs, ratio } from "./stats.js";
import type { Measurement, RunData } from "./results.js";
import { workersChecks, workersSection } from "./workers-report.js";

export const TARGETS = {
  unaryAddedP50Ms: 0.3,
  unaryAddedP99Ms: 1.5,
  streamTtftAddedP99Ms: 1.5,
  memoryCacheGrpcRps: 10_000,
  targetRate: 1000,
} as const;

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

const num = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : "—");
const pct = (n: number | undefined) => (n === undefined ? "—" : num(n, 0));
const pct1 = (n: number | undefined) => (n === undefined ? "—" : num(n, 1));
const mb = (n: number | undefined) => (n === undefined ? "—" : num(n, 0));

/** The system's CPU time per successful request: robust to a busy machine, unlike latency. */
export function cpuMsPerRequest(m: Measurement): number | undefined {
  if (!m.gateway || m.load.ok === 0) return undefined;
  return m.gateway.cpuMs / m.load.ok;
}
const perReq = (m: Measurement) => {
  const v = cpuMsPerRequest(m);
  return v === undefined ? "—" : v.toFixed(2);
};

function baselineFor(data: RunData, m: Pick<Measurement, "call" | "load">): Measurement | undefined {
  return data.measurements.find((b) => b.group === "baseline" && b.call === m.call && b.load.requestedRate === m.load.requestedRate);
}

/** Latency added over the baseline run of the same call type and rate (TTFT for streams when `ttft`). */
export function added(data: RunData, m: Measurement, ttft = false): Percentiles | undefined {
  const base = baselineFor(data, m);
  if (!base) return undefined;
  const mine = ttft ? m.load.ttft : m.load.latency;
  const theirs = ttft ? base.load.ttft : base.load.latency;
  return mine && theirs ? addedOver(mine, theirs) : undefined;
}

function errorsCell(m: Measurement): string {
  if (m.load.errors === 0) return "0";
  const share = (m.load.errors / Math.max(1, m.load.sent)) * 100;
  return `${m.load.errors} (${share.toFixed(1)}%)`;
}

function unaryTable(data: RunData, rate: number): string {
  const rows = data.measurements
    .filter((m) => m.call === "unary" && m.load.requestedRate === rate)
    .map((m) => {
      // A cache hit never reaches the upstream, so "added over the upstream" does not apply: its latency is its whole cost.
      const a = m.group === "baseline" || m.group === "cache" || m.id.startsWith("floor-constant/") ? undefined : added(data, m);
      const base = baselineFor(data, m);
      return [
        m.system,
        m.protocol,
        `${num(m.load.achievedRate)} / ${rate}`,
        errorsCell(m),
        formatMs(m.load.latency.p50Ms),
        formatMs(m.load.latency.p90Ms),
        formatMs(m.load.latency.p99Ms),
        a ? formatMs(a.p50Ms) : "—",
        a ? formatMs(a.p90Ms) : "—",
        a ? formatMs(a.p99Ms) : "—",
        base ? ratio(m.load.latency.p99Ms, base.load.latency.p99Ms) : "—",
        pct(m.gateway?.cpuPercent),
        perReq(m),
        mb(m.gateway?.peakRssMb),
        pct(m.upstream.cpuPercent),
        pct(m.loadTool?.cpuPercent),
      ];
    });
  return table(
    ["system", "protocol", "achieved / requested req/s", "errors", "p50 ms", "p90 ms", "p99 ms", "added p50", "added p90", "added p99", "p99 × baseline", "CPU %", "CPU ms / req", "peak RSS MB", "upstream CPU %", "load tool CPU %"],
    rows,
  );
}

function streamTable(data: RunData, rate: number): string {
  const rows = data.measurements
    .filter((m) => m.call === "stream" && m.load.requestedRate === rate)
    .map((m) => {
      const a = m.group === "baseline" ? undefined : added(data, m, true);
      const at = m.group === "baseline" ? undefined : added(data, m);
      return [
        m.system,
        m.protocol,
        `${num(m.load.achievedRate)} / ${rate}`,
        errorsCell(m),
        formatMs(m.load.ttft?.p50Ms ?? Number.NaN),
        formatMs(m.load.ttft?.p90Ms ?? Number.NaN),
        formatMs(m.load.ttft?.p99Ms ?? Number.NaN),
        a ? formatMs(a.p50Ms) : "—",
        a ? formatMs(a.p99Ms) : "—",
        formatMs(m.load.latency.p50Ms),
        formatMs(m.load.latency.p99Ms),
        at ? formatMs(at.p99Ms) : "—",
        pct(m.gateway?.cpuPercent),
        perReq(m),
        mb(m.gateway?.peakRssMb),
        pct(m.upstream.cpuPercent),
        pct(m.loadTool?.cpuPercent),
      ];
    });
  return table(
    ["system", "protocol", "achieved / requested req/s", "errors", "TTFT p50", "TTFT p90", "TTFT p99", "added TTFT p50", "added TTFT p99", "total p50", "total p99", "added total p99", "CPU %", "CPU ms / req", "peak RSS MB", "upstream CPU %", "load tool CPU %"],
    rows,
  );
}

function maxTable(data: RunData): string {
  const runs = data.measurements.filter((m) => m.load.requestedRate === null);
  const base = runs.find((m) => m.group === "baseline");
  const ours = runs.find((m) => m.id === "switchyard/grpc/unary");
  const rows = runs.map((m) => [
    m.system,
    m.protocol,
    num(m.load.achievedRate),
    base ? ratio(m.load.achievedRate, base.load.achievedRate) : "—",
    ours ? ratio(m.load.achievedRate, ours.load.achievedRate) : "—",
    errorsCell(m),
    formatMs(m.load.latency.p50Ms),
    formatMs(m.load.latency.p99Ms),
    pct(m.gateway?.cpuPercent),
    perReq(m),
    mb(m.gateway?.peakRssMb),
    pct(m.upstream.cpuPercent),
    pct(m.loadTool?.cpuPercent),
  ]);
  return table(["system", "protocol", "req/s", "× baseline", "× Switchyard gRPC", "errors", "p50 ms", "p99 ms", "CPU %", "CPU ms / req", "peak RSS MB", "upstream CPU %", "load tool CPU %"], rows);
}

/** Per peer: its added latency and throughput next to Switchyard's, from the same run. */
function peerTable(data: RunData, rate: number): string {
  const find = (id: string, r: number | null) => data.measurements.find((m) => m.id === id && m.load.requestedRate === r);
  const grpcU = find("switchyard/grpc/unary", rate);
  const connectU = find("switchyard/connect/unary", rate);
  const grpcS = find("switchyard/grpc/stream", rate);
  const grpcMax = find("switchyard/grpc/unary", null);
  // Switchyard's /v1/chat/completions: the same wire (OpenAI HTTP and SSE) the peers are measured on.
  const openaiU = find("switchyard/openai/unary", rate);
  const openaiS = find("switchyard/openai/stream", rate);
  const peers = [...new Set(data.measurements.filter((m) => m.group === "peer").map((m) => m.id.split("/")[0]))];
  const rows: string[][] = [];
  for (const peer of peers) {
    const pu = find(`${peer}/http/unary`, rate);
    const ps = find(`${peer}/http/stream`, rate);
    const pmax = find(`${peer}/http/unary`, null);
    const name = (pu ?? ps ?? pmax)?.system ?? peer;
    const fig = (label: string, p: Measurement | undefined, s: Measurement | undefined, ttft: boolean, key: keyof Percentiles) => {
      const pa = p && added(data, p, ttft)?.[key];
      const sa = s && added(data, s, ttft)?.[key];
      rows.push([name, label, pa === undefined ? "—" : formatMs(pa), sa === undefined ? "—" : formatMs(sa), pa === undefined || sa === undefined ? "—" : ratio(pa, sa)]);
    };
    fig(`unary added p50 ms (vs Switchyard gRPC)`, pu, grpcU, false, "p50Ms");
    fig(`unary added p99 ms (vs Switchyard gRPC)`, pu, grpcU, false, "p99Ms");
    fig(`unary added p50 ms (vs Switchyard Connect)`, pu, connectU, false, "p50Ms");
    fig(`unary added p99 ms (vs Switchyard Connect)`, pu, connectU, false, "p99Ms");
    fig(`stream added TTFT p50 ms (vs Switchyard gRPC)`, ps, grpcS, true, "p50Ms");
    fig(`stream added TTFT p99 ms (vs Switchyard gRPC)`, ps, grpcS, true, "p99Ms");
    fig(`unary added p50 ms (vs Switchyard OpenAI HTTP, same wire)`, pu, openaiU, false, "p50Ms");
    fig(`unary added p99 ms (vs Switchyard OpenAI HTTP, same wire)`, pu, openaiU, false, "p99Ms");
    fig(`stream added TTFT p50 ms (vs Switchyard OpenAI SSE, same wire)`, ps, openaiS, true, "p50Ms");
    fig(`stream added TTFT p99 ms (vs Switchyard OpenAI SSE, same wire)`, ps, openaiS, true, "p99Ms");
    rows.push([
      name,
      "max throughput req/s (vs Switchyard gRPC)",
      pmax ? num(pmax.load.achievedRate) : "—",
      grpcMax ? num(grpcMax.load.achievedRate) : "—",
      pmax && grpcMax ? ratio(pmax.load.achievedRate, grpcMax.load.achievedRate) : "—",
    ]);
  }
  return table(["peer", "figure", "peer", "Switchyard", "peer ÷ Switchyard"], rows);
}

export interface TargetCheck {
  target: string;
  measured: string;
  met: boolean | undefined;
}

const PROTOCOL_LABEL = { grpc: "gRPC", connect: "Connect", openai: "OpenAI HTTP/SSE" } as const;

/**
 * Issue #16's target: on the same wire as the peers (OpenAI HTTP unary, OpenAI SSE streaming), Switchyard's
 * added p50 and p99 are both below Portkey's in the same run (TTFT for streams). A same-run comparison, so
 * contention on the machine weighs on both sides alike.
 */
function openaiVsPortkey(data: RunData, rate: number): TargetCheck[] {
  const find = (id: string) => data.measurements.find((m) => m.id === id && m.load.requestedRate === rate);
  const checks: TargetCheck[] = [];
  for (const [call, ttft, wire] of [
    ["unary", false, "unary"],
    ["stream", true, "SSE TTFT"],
  ] as const) {
    const ours = find(`switchyard/openai/${call}`);
    const theirs = find(`portkey/http/${call}`);
    const target = `Switchyard /v1/chat/completions ${wire} added p50 and p99 < Portkey's at ${rate} req/s (same run, same wire)`;
    const sa = ours && added(data, ours, ttft);
    const pa = theirs && added(data, theirs, ttft);
    const usable = (p: Percentiles | undefined): p is Percentiles => p !== undefined && Number.isFinite(p.p50Ms) && Number.isFinite(p.p99Ms);
    if (!usable(sa) || !usable(pa)) {
      const missing = [!usable(sa) && "Switchyard", !usable(pa) && "Portkey"].filter(Boolean).join(" and ");
      checks.push({ target, measured: `not measured (${missing})`, met: undefined });
      continue;
    }
    checks.push({
      target,
      measured: `p50 ${formatMs(sa.p50Ms)} vs ${formatMs(pa.p50Ms)} ms, p99 ${formatMs(sa.p99Ms)} vs ${formatMs(pa.p99Ms)} ms`,
      met: sa.p50Ms < pa.p50Ms && sa.p99Ms < pa.p99Ms,
    });
  }
  return checks;
}

export function checkTargets(data: RunData): TargetCheck[] {
  const rate = TARGETS.targetRate;
  const find = (id: string, r: number | null) => data.measurements.find((m) => m.id === id && m.load.requestedRate === r);
  const checks: TargetCheck[] = [];
  const atMost = (target: string, value: number | undefined, limit: number) =>
    checks.push({ target, measured: value === undefined ? "not measured" : `${formatMs(value)} ms`, met: value === undefined ? undefined : value <= limit });
  for (const id of ["switchyard/grpc/unary", "switchyard/connect/unary"]) {
    const m = find(id, rate);
    const a = m && added(data, m);
    const label = id.includes("grpc") ? "gRPC" : "Connect";
    atMost(`unary added p50 ≤ ${TARGETS.unaryAddedP50Ms} ms at ${rate} req/s (${label})`, a?.p50Ms, TARGETS.unaryAddedP50Ms);
    atMost(`unary added p99 ≤ ${TARGETS.unaryAddedP99Ms} ms at ${rate} req/s (${label})`, a?.p99Ms, TARGETS.unaryAddedP99Ms);
  }
  for (const id of ["switchyard/grpc/stream", "switchyard/connect/stream"]) {
    const m = find(id, rate);
    const a = m && added(data, m, true);
    atMost(`stream added TTFT p99 ≤ ${TARGETS.streamTtftAddedP99Ms} ms at ${rate} req/s (${id.includes("grpc") ? "gRPC" : "Connect"})`, a?.p99Ms, TARGETS.streamTtftAddedP99Ms);
  }
  const cache = find("switchyard-cache-memory/grpc/unary", null);
  checks.push({
    target: `memory-cache hits ≥ ${TARGETS.memoryCacheGrpcRps} req/s over gRPC`,
    measured: cache ? `${num(cache.load.achievedRate)} req/s` : "not measured",
    met: cache ? cache.load.achievedRate >= TARGETS.memoryCacheGrpcRps : undefined,
  });
  // Checked at every rate of the run: a busy machine may only serve the lower one.
  for (const r of data.settings.rates) checks.push(...openaiVsPortkey(data, r));
  // "Ahead of LiteLLM and Portkey on every latency figure": each peer's added p50/p90/p99 (unary) and
  // added TTFT p50/p90/p99 (stream) against Switchyard's at the same rate, over gRPC, over Connect JSON,
  // and over Switchyard's own /v1/chat/completions (the very wire the peers speak: the like-for-like one).
  for (const protocol of ["grpc", "connect", "openai"] as const) {
    const ours = { unary: find(`switchyard/${protocol}/unary`, rate), stream: find(`switchyard/${protocol}/stream`, rate) };
    for (const peer of ["litellm", "portkey", "bifrost"]) {
      const pu = find(`${peer}/http/unary`, rate);
      const ps = find(`${peer}/http/stream`, rate);
      if (!pu && !ps) continue;
      let ahead = 0;
      let total = 0;
      for (const [p, s, ttft] of [
        [pu, ours.unary, false],
        [ps, ours.stream, true],
      ] as const) {
        if (!p || !s) continue;
        const pa = added(data, p, ttft);
        const sa = added(data, s, ttft);
        if (!pa || !sa) continue;
        for (const key of ["p50Ms", "p90Ms", "p99Ms"] as const) {
          // A figure one side could not produce (every request failed) is no comparison.
          if (!Number.isFinite(pa[key]) || !Number.isFinite(sa[key])) continue;
          total++;
          if (sa[key] < pa[key]) ahead++;
        }
      }
      const name = (pu ?? ps)!.system;
      checks.push({
        target: `ahead of ${name} on every latency figure at ${rate} req/s (Switchyard over ${PROTOCOL_LABEL[protocol]})`,
        measured: `ahead on ${ahead} of ${total}`,
        met: total > 0 ? ahead === total : undefined,
      });
    }
  }
  checks.push(...workersChecks(data));
  return checks;
}

/** `notes`: hand-written analysis of this run (bench/results/<name>.notes.md), printed after the figures. */
export function renderReport(data: RunData, plotFile: string, notes?: string): string {
  const out: string[] = [];
  out.push(`# Benchmark: ${data.date} (${data.profile} profile)`);
  out.push("");
  out.push(
    `Generated by \`npm run bench${data.profile === "quick" ? " -- --quick" : ""}\` at ${data.startedAt} in ${num(data.durationS)} s. ` +
      "**These figures come from a shared, noisy 2-core machine**: the load generator, the mock upstream and the system under test " +
      "all run on the same two cores (and other work may have run beside them), so treat differences of a few tenths of a millisecond as noise, " +
      "and compare systems only within this one run.",
  );
  out.push("");
  out.push(`![latency percentiles per system](${plotFile})`);
  out.push("");
  out.push("## Targets");
  out.push("");
  out.push(table(["target", "measured", "met"], checkTargets(data).map((c) => [c.target, c.measured, c.met === undefined ? "not measured" : c.met ? "yes" : "**no**"])));
  out.push("");
  out.push("## Method");
  out.push("");
  const u = data.settings.upstream;
  out.push(
    [
      `- **Mock upstream** (\`bench/mock-upstream/\`): OpenAI chat-completions wire format, unary and SSE; ${u.latencyMs} ms before the answer or first event, then ${u.chunkCount} content chunks ${u.chunkDelayMs} ms apart (usage chunk and \`[DONE]\` last). Its CPU share is the "upstream CPU %" column.`,
      `- **Baseline**: the same request sent straight to the mock upstream. "Added" = system − baseline at the same percentile, call type and rate (small negative values are noise). Cache hits and the constant floor never reach the upstream, so their rows show whole latency, not added latency.`,
      `- **Floor** (\`bench/floor/server.ts\`): connect-node on one port (h2c + HTTP/1.1, like Switchyard) making one undici request to the upstream per call, with no router, config, timers or cache. What Switchyard costs above this row is its own logic; the row itself is what the framework and runtime cost. A second floor answers a constant without any upstream: the most connect-node can serve here, the ceiling for cache hits.`,
      `- **Switchyard** reached the upstream through ${data.switchyardUpstream === "openai" ? "its `openai` provider (`params.api_base` = the mock upstream), the same HTTP hop the peers make" : "the built-in `mock` provider (this checkout has no `openai` provider): same latency and cadence, but **no upstream HTTP hop**, so its figures are optimistic against the peers"}.`,
      `- **Open loop** at ${data.settings.rates.join(" and ")} req/s for ${data.settings.durationS} s each after a ${data.settings.warmupS} s closed-loop warm-up (8 callers): vegeta (HTTP), ghz \`--async\` (gRPC unary), \`bench/loadgen\` streamload (every streaming run: time to first streamed message and to the end of the stream). **Max throughput**: ${data.settings.concurrency} concurrent callers for ${data.settings.maxDurationS} s. Unary latencies from vegeta include failed requests (a timed-out request counts at the ${data.settings.timeoutS} s timeout); streaming latencies are of successful streams only.`,
      `- **CPU %** is the system's process tree (100 = one core) and **peak RSS** its summed resident memory, both sampled from /proc every 250 ms during the measured run; **CPU ms / req** is its CPU time divided by the requests it answered, the figure least disturbed by a busy machine; "upstream" and "load tool" CPU are the mock upstream and vegeta/ghz/streamload in the same run (all share the same 2 cores, so a busy load tool slows the system under test too).`,
    ].join("\n"),
  );
  out.push("");
  for (const rate of data.settings.rates) {
    out.push(`## Unary at ${rate} req/s (open loop)`);
    out.push("");
    out.push(unaryTable(data, rate));
    out.push("");
    out.push(`## Streaming at ${rate} req/s (open loop)`);
    out.push("");
    out.push(streamTable(data, rate));
    out.push("");
  }
  out.push(`## Max throughput (${data.settings.concurrency} concurrent callers)`);
  out.push("");
  out.push(maxTable(data));
  out.push("");
  const workers = workersSection(data);
  if (workers) out.push(workers, "");
  if (data.idleMemory.length > 0) {
    out.push("## Memory");
    out.push("");
    out.push("Resident memory of each system's process tree after start-up and one request, and the most seen under load in this run.");
    out.push("");
    const peakOf = (system: string) => {
      const peaks = data.measurements.filter((m) => m.system === system && m.gateway).map((m) => m.gateway!.peakRssMb);
      return peaks.length > 0 ? Math.max(...peaks) : undefined;
    };
    out.push(table(["system", "idle RSS MB", "peak RSS MB under load"], data.idleMemory.map((i) => [i.system, num(i.rssMb), mb(peakOf(i.system))])));
    out.push("");
  }
  const topRate = Math.max(...data.settings.rates);
  out.push(`## Against each peer (same run, ${topRate} req/s)`);
  out.push("");
  out.push(peerTable(data, topRate));
  out.push("");
  const failing = data.measurements.filter((m) => m.load.errors > 0);
  if (failing.length > 0) {
    out.push("## Errors seen");
    out.push("");
    out.push(
      table(
        ["scenario", "rate", "errors / sent", "examples"],
        failing.map((m) => [m.id, m.load.requestedRate === null ? "max" : String(m.load.requestedRate), `${m.load.errors} / ${m.load.sent}`, m.load.errorSamples.join("; ").replace(/\|/g, "\\|").replace(/\n/g, " ").slice(0, 300)]),
      ),
    );
    out.push("");
  }
  if (data.skipped.length > 0) {
    out.push("## Not measured");
    out.push("");
    out.push(table(["scenario", "system", "why"], data.skipped.map((s) => [s.id, s.system, s.reason.replace(/\|/g, "\\|").replace(/\n/g, " ")])));
    out.push("");
  }
  if (data.profiles.length > 0) {
    out.push("## Where Switchyard spends its CPU");
    out.push("");
    out.push(
      "`node --cpu-prof` during one extra run per protocol; start-up and warm-up samples are left out, and shares are of non-idle samples. " +
        "Profiles: " +
        data.profiles.map((p) => `${p.protocol} \`${p.file}\``).join(", ") +
        ".",
    );
    out.push("");
    const areas = [...new Set(data.profiles.flatMap((p) => p.areas.map((a) => a.area)))];
    const shareOf = (p: (typeof data.profiles)[number], area: string) => p.areas.find((a) => a.area === area)?.selfPercent;
    out.push(
      table(
        ["self time by area", ...data.profiles.map((p) => `${p.protocol} %`)],
        [
          ...areas.map((area) => [area, ...data.profiles.map((p) => pct1(shareOf(p, area)))]),
          ["*CPU ms per request (profiled run)*", ...data.profiles.map((p) => (p.cpuMsPerRequest === undefined ? "—" : p.cpuMsPerRequest.toFixed(2)))],
        ],
      ),
    );
    out.push("");
    for (const p of data.profiles) {
      out.push(`### ${p.protocol}: ${p.scenario}`);
      out.push("");
      out.push("Our own functions by inclusive time (share of samples with the function anywhere on the stack):");
      out.push("");
      out.push(table(["inclusive %", "function", "where"], p.ours.map((f) => [f.selfPercent.toFixed(1), `\`${f.functionName}\``, `\`${f.location}\``])));
      out.push("");
      out.push("Hottest functions by self time:");
      out.push("");
      out.push(table(["self %", "function", "where"], p.frames.map((f) => [f.selfPercent.toFixed(1), `\`${f.functionName}\``, `\`${f.location}\``])));
      out.push("");
    }
  }
  if (notes?.trim()) {
    out.push(notes.trim());
    out.push("");
  }
  out.push("## Machine and versions");
  out.push("");
  out.push(table(["", ""], [...Object.entries(data.machine), ...Object.entries(data.versions)].map(([k, v]) => [k, v])));
  out.push("");
  out.push(table(["peer", "version", "installed", "how / why not"], data.peers.map((p) => [p.name, p.version, p.installed ? "yes" : "**no**", p.detail.replace(/\|/g, "\\|")])));
  out.push("");
  return out.join("\n");
}

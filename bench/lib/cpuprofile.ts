/**
 * Reads a V8 `.cpuprofile` (what `node --cpu-prof` writes) into the
 * functions that spent the most self time, so the report can name the hot
 * path. Pure; unit-tested.
 */
import type { HotFrame } from "./results.js";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  /** Microseconds since the previous sample; the first is since the profile's start. */
  timeDeltas: number[];
}

/** How long the profile ran, ms: the sum of its sample intervals. */
export function profileSpanMs(profile: CpuProfile): number {
  return profile.timeDeltas.reduce((sum, d) => sum + d, 0) / 1000;
}

/** "(idle)" is the event loop waiting: not work, so not part of the total. */
const NOT_WORK = new Set(["(idle)"]);

function location(url: string, line: number, repoRoot: string): string {
  if (!url) return "(native)";
  let file = url.startsWith("file://") ? decodeURIComponent(url.slice("file://".length)) : url;
  if (repoRoot && file.startsWith(repoRoot)) file = file.slice(repoRoot.length + 1);
  const nm = file.lastIndexOf("node_modules/");
  if (nm >= 0) file = file.slice(nm + "node_modules/".length);
  // callFrame lines are 0-based; 0 is also what V8 reports for code whose position it lost (tsx-compiled
  // sources), so line 1 is left out rather than printed as a false location.
  return line > 0 ? `${file}:${line + 1}` : file;
}

/**
 * Self time per sample, skipping samples in the first `skipFirstMs` of the
 * profile (process start-up and warm-up, which --cpu-prof cannot leave out)
 * and idle ones.
 */
function selfTimes(profile: CpuProfile, skipFirstMs: number): Array<{ node: ProfileNode; us: number }> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const out: Array<{ node: ProfileNode; us: number }> = [];
  let atUs = 0;
  profile.samples.forEach((nodeId, i) => {
    atUs += profile.timeDeltas[i] ?? 0;
    const node = byId.get(nodeId);
    if (!node || NOT_WORK.has(node.callFrame.functionName) || atUs < skipFirstMs * 1000) return;
    // A sample's time is the delta to the *next* sample; the last one has none recorded.
    const us = profile.timeDeltas[i + 1] ?? 0;
    if (us > 0) out.push({ node, us });
  });
  return out;
}

function ranked<T>(entries: Map<string, { item: T; us: number }>, totalUs: number, limit: number): Array<T & { selfPercent: number }> {
  if (totalUs === 0) return [];
  return [...entries.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, limit)
    .map(({ item, us }) => ({ ...item, selfPercent: (us / totalUs) * 100 }));
}

/** The `limit` functions with the most self time, as a percent of non-idle samples. */
export function hottestFrames(profile: CpuProfile, limit = 15, repoRoot = "", skipFirstMs = 0): HotFrame[] {
  const entries = new Map<string, { item: Omit<HotFrame, "selfPercent">; us: number }>();
  let totalUs = 0;
  for (const { node, us } of selfTimes(profile, skipFirstMs)) {
    totalUs += us;
    const functionName = node.callFrame.functionName || "(anonymous)";
    const loc = location(node.callFrame.url, node.callFrame.lineNumber, repoRoot);
    const key = `${functionName} ${loc}`;
    const entry = entries.get(key) ?? { item: { functionName, location: loc }, us: 0 };
    entry.us += us;
    entries.set(key, entry);
  }
  return ranked(entries, totalUs, limit);
}

/**
 * Which part of the stack a frame belongs to: an npm package, a folder of
 * ours (src/<dir>, gen), Node's own JavaScript, or V8 (GC, compiled code
 * outside JS).
 */
export function areaOf(url: string, functionName: string, repoRoot: string): string {
  if (functionName === "(garbage collector)") return "V8 garbage collector";
  if (!url) return "V8/native (program, builtins)";
  if (url.startsWith("node:")) return "Node core (node:*)";
  let file = url.startsWith("file://") ? decodeURIComponent(url.slice("file://".length)) : url;
  const nm = file.lastIndexOf("node_modules/");
  if (nm >= 0) {
    const parts = file.slice(nm + "node_modules/".length).split("/");
    return parts[0].startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  if (repoRoot && file.startsWith(repoRoot)) file = file.slice(repoRoot.length + 1);
  const parts = file.split("/");
  if (parts[0] === "src" && parts.length > 2) return `src/${parts[1]}`;
  if (parts[0] === "gen") return "gen (generated code)";
  return parts.length > 1 ? parts[0] : file;
}

export interface AreaShare {
  area: string;
  selfPercent: number;
}

/** Self time summed by area (see areaOf), as a percent of non-idle samples. */
export function selfTimeByArea(profile: CpuProfile, repoRoot = "", skipFirstMs = 0, limit = 12): AreaShare[] {
  const entries = new Map<string, { item: { area: string }; us: number }>();
  let totalUs = 0;
  for (const { node, us } of selfTimes(profile, skipFirstMs)) {
    totalUs += us;
    const area = areaOf(node.callFrame.url, node.callFrame.functionName, repoRoot);
    const entry = entries.get(area) ?? { item: { area }, us: 0 };
    entry.us += us;
    entries.set(area, entry);
  }
  return ranked(entries, totalUs, limit);
}

/**
 * Inclusive ("total") time of the functions whose location passes `keep`:
 * the share of non-idle samples with that function anywhere on the stack
 * (each sample counted once per function even under recursion).
 */
export function inclusiveFrames(profile: CpuProfile, keep: (location: string) => boolean, repoRoot = "", skipFirstMs = 0, limit = 15): HotFrame[] {
  const parentOf = new Map<number, ProfileNode>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node);
  const entries = new Map<string, { item: Omit<HotFrame, "selfPercent">; us: number }>();
  let totalUs = 0;
  for (const { node, us } of selfTimes(profile, skipFirstMs)) {
    totalUs += us;
    const seen = new Set<string>();
    for (let cur: ProfileNode | undefined = node; cur; cur = parentOf.get(cur.id)) {
      const loc = location(cur.callFrame.url, cur.callFrame.lineNumber, repoRoot);
      if (!keep(loc)) continue;
      const functionName = cur.callFrame.functionName || "(anonymous)";
      const key = `${functionName} ${loc}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const entry = entries.get(key) ?? { item: { functionName, location: loc }, us: 0 };
      entry.us += us;
      entries.set(key, entry);
    }
  }
  return ranked(entries, totalUs, limit);
}

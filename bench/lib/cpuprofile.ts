/**
 * Reads a V8 `.cpuprofile` (what `node --cpu-prof` writes) into the
 * functions that spent the most self time, so the report can name the hot
 * path. Pure; unit-tested.
 */
import type { HotFrame } from "./results.js";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  /** Microseconds since the previous sample; the first is since the profile's start. */
  timeDeltas: number[];
}

/** "(idle)" is the event loop waiting: not work, so not part of the total. */
const NOT_WORK = new Set(["(idle)"]);

function location(url: string, line: number, repoRoot: string): string {
  if (!url) return "(native)";
  let file = url.startsWith("file://") ? decodeURIComponent(url.slice("file://".length)) : url;
  if (repoRoot && file.startsWith(repoRoot)) file = file.slice(repoRoot.length + 1);
  const nm = file.lastIndexOf("node_modules/");
  if (nm >= 0) file = file.slice(nm + "node_modules/".length);
  // callFrame lines are 0-based.
  return `${file}:${line + 1}`;
}

/** The `limit` functions with the most self time, as a percent of non-idle samples. */
export function hottestFrames(profile: CpuProfile, limit = 15, repoRoot = ""): HotFrame[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<string, { frame: Omit<HotFrame, "selfPercent">; us: number }>();
  let totalUs = 0;
  profile.samples.forEach((nodeId, i) => {
    const node = byId.get(nodeId);
    if (!node || NOT_WORK.has(node.callFrame.functionName)) return;
    // A sample's time is the delta to the *next* sample; the last one has none recorded.
    const us = profile.timeDeltas[i + 1] ?? 0;
    totalUs += us;
    const functionName = node.callFrame.functionName || "(anonymous)";
    const loc = location(node.callFrame.url, node.callFrame.lineNumber, repoRoot);
    const key = `${functionName} ${loc}`;
    const entry = selfUs.get(key) ?? { frame: { functionName, location: loc }, us: 0 };
    entry.us += us;
    selfUs.set(key, entry);
  });
  if (totalUs === 0) return [];
  return [...selfUs.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, limit)
    .map(({ frame, us }) => ({ ...frame, selfPercent: (us / totalUs) * 100 }));
}

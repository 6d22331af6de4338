/** What one benchmark run records: the input of the report and the plot (also saved as JSON). */
import type { LoadResult } from "./load-results.js";
import type { ResourceUsage } from "./proc.js";

export type Group = "baseline" | "floor" | "switchyard" | "cache" | "router" | "workers" | "peer";

export interface Measurement {
  /** Stable id, e.g. "switchyard/grpc/unary". */
  id: string;
  /** Display name of the system, e.g. "Switchyard", "LiteLLM 1.82.6". */
  system: string;
  group: Group;
  /** Wire protocol the client spoke, e.g. "gRPC", "Connect JSON", "OpenAI HTTP". */
  protocol: string;
  call: "unary" | "stream";
  load: LoadResult;
  /** The system under test's process tree; absent for the baseline (nothing in between). */
  gateway?: ResourceUsage;
  /** The mock upstream during the same run: proves it was not the bottleneck. */
  upstream: ResourceUsage;
  /** The load generator (vegeta, ghz or streamload) during the same run: it shares the two cores. */
  loadTool?: ResourceUsage;
}

export interface Skipped {
  id: string;
  system: string;
  reason: string;
}

export interface PeerVersion {
  name: string;
  version: string;
  installed: boolean;
  detail: string;
}

export interface HotFrame {
  functionName: string;
  location: string;
  selfPercent: number;
}

export interface ProfileFinding {
  protocol: string;
  scenario: string;
  /** The gateway's CPU time per request during the profiled window, ms (profiling adds a little). */
  cpuMsPerRequest?: number;
  /** Self time of the hottest functions. */
  frames: HotFrame[];
  /** Inclusive time of the hottest functions in src/ (selfPercent holds the inclusive share). */
  ours: HotFrame[];
  areas: Array<{ area: string; selfPercent: number }>;
  file: string;
}

export interface RunData {
  date: string;
  startedAt: string;
  profile: "quick" | "full";
  machine: Record<string, string>;
  versions: Record<string, string>;
  peers: PeerVersion[];
  /** How Switchyard reached the upstream: the OpenAI provider over HTTP, or the built-in mock provider (no HTTP hop). */
  switchyardUpstream: "openai" | "mock";
  settings: { rates: number[]; durationS: number; warmupS: number; maxDurationS: number; concurrency: number; timeoutS: number; upstream: Record<string, unknown> };
  measurements: Measurement[];
  skipped: Skipped[];
  /** Each system's resident memory after start-up and one request, before load, MiB. */
  idleMemory: Array<{ system: string; rssMb: number }>;
  /** One `--cpu-prof` run per protocol (gRPC, Connect), to name the hot path. */
  profiles: ProfileFinding[];
  durationS: number;
}

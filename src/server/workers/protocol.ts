/**
 * What the main thread and its gateway worker threads tell each other.
 * The config crosses as protobuf binary (RouterConfig), so a worker builds
 * exactly the gateway the main thread validated.
 */
import type { ConfigProblem } from "../../config/config-error.js";
import type { SharedStateMemory } from "../../router/state/shared-memory-store.js";

export interface WorkerStartData {
  /** Index of this worker among the pool's workers; its replacement gets the same slot. */
  readonly slot: number;
  /** How many workers the pool runs. */
  readonly workers: number;
  readonly configBinary: Uint8Array;
  readonly port: number;
  readonly host: string;
  /** Routing state shared by every worker; absent when the config shares state through Redis. */
  readonly stateMemory?: SharedStateMemory;
  /** The main thread's log level. */
  readonly logLevel: string;
  /** Channel name for the cache admin RPCs' messages between sibling workers. */
  readonly cacheChannel: string;
}

/** Why a reload was refused, as it crosses back to the worker whose ReloadConfig asked for it. */
export type ReloadRefusal = { kind: "config"; file: string; problems: ConfigProblem[] } | { kind: "other"; message: string };

/** Main thread → worker. */
export type ToWorker =
  | { type: "drain"; graceMs: number }
  /** A validated config to serve from now on, with the shared-state block of every deployment id. */
  | { type: "apply-config"; id: number; configBinary: Uint8Array; deploymentIds: readonly string[] }
  /** The answer to this worker's "reload": the ReloadConfigResponse as binary, or why it was refused. */
  | { type: "reload-result"; id: number; response?: Uint8Array; refusal?: ReloadRefusal };

/** Worker → main thread. */
export type FromWorker =
  | { type: "listening"; port: number }
  | { type: "start-failed"; message: string }
  | { type: "drained" }
  /** ReloadConfig reached this worker: the pool validates once and applies to every worker. */
  | { type: "reload"; id: number; configText: string }
  | { type: "config-applied"; id: number };

/**
 * What the main thread and its gateway worker threads tell each other.
 * The config crosses as protobuf binary (RouterConfig), so a worker builds
 * exactly the gateway the main thread validated.
 */
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

/** Main thread → worker. */
export type ToWorker = { type: "drain"; graceMs: number };

/** Worker → main thread. */
export type FromWorker = { type: "listening"; port: number } | { type: "start-failed"; message: string } | { type: "drained" };

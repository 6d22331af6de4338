import type { CacheLayer as CacheLayerKind } from "../../gen/ts/switchyard/v1/inference_pb.js";
import type { CacheEntry } from "./entry.js";

/** What to delete: one key, or every key starting with a prefix (a namespace). */
export type DeleteTarget = { key: string } | { prefix: string };

/** Sizes a layer can report about itself; undefined where it cannot know cheaply. */
export interface LayerUsage {
  bytes?: number;
  entries?: number;
  evictions?: number;
}

/**
 * The seam every cache backend implements: one file per backend. Layers
 * store and return entries as given; freshness (TTL, max_age) is decided
 * above them, on the injected clock, so every backend behaves the same.
 * Every call gets a signal that aborts when the layer's timeout passes.
 */
export interface CacheLayer {
  /** Stats name: "memory", "redis", "s3", "gcs", "azure_blob". */
  readonly name: string;
  /** Reported in CacheInfo.layer on a hit. */
  readonly kind: CacheLayerKind;
  /**
   * True for a layer that answers from process memory without I/O: its calls
   * run without the timeout timer (a timer and an abort controller per call
   * were a large share of a memory-cache hit's CPU).
   */
  readonly inProcess?: boolean;
  get(key: string, signal: AbortSignal): Promise<CacheEntry | undefined>;
  set(key: string, entry: CacheEntry, signal: AbortSignal): Promise<void>;
  /** Entries deleted, where the layer can count them. */
  delete(target: DeleteTarget, signal: AbortSignal): Promise<number>;
  usage?(): LayerUsage;
  /** Start-up work (connect); failures are logged, not fatal. */
  open?(signal: AbortSignal): Promise<void>;
  close?(): Promise<void>;
}

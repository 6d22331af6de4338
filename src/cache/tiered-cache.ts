import { create } from "@bufbuild/protobuf";
import { CacheLayerStatsSchema, type CacheLayerStats } from "../../gen/ts/switchyard/v1/admin_pb.js";
import type { CacheLayer as CacheLayerKind } from "../../gen/ts/switchyard/v1/inference_pb.js";
import type { Logger } from "../observability/logger.js";
import type { CacheLookupObserver } from "../observability/request-observer.js";
import type { Clock } from "../util/clock.js";
import { ageS, expiresAtMs, type CacheEntry } from "./entry.js";
import type { CacheLayer, DeleteTarget } from "./layer.js";

/** A layer as configured: the backend plus how long each call may take. */
export interface LayerSlot {
  layer: CacheLayer;
  timeoutMs: number;
}

export interface CacheHit {
  entry: CacheEntry;
  /** Which layer answered. */
  layer: CacheLayerKind;
  ageS: number;
}

interface Counters {
  hits: number;
  misses: number;
  sets: number;
  errors: number;
}

/** A layer call that took longer than the layer's timeout_ms. */
export class CacheLayerTimeout extends Error {
  constructor(layer: string, op: string, timeoutMs: number) {
    super(`cache layer ${layer}: ${op} took longer than ${timeoutMs} ms`);
  }
}

/** Invalidation could not reach every layer; the others were still cleared. */
export class CacheInvalidationError extends Error {
  constructor(
    readonly failedLayers: string[],
    readonly deleted: number,
  ) {
    super(`invalidation failed in layer(s) ${failedLayers.join(", ")}; ${deleted} entries deleted elsewhere`);
  }
}

/**
 * The layers stacked as configured. A read goes top-down and the first
 * fresh entry wins; a hit in a lower layer is copied to the layers above.
 * A write goes to every layer in the background (bounded), so a slow store
 * never delays an answer. Every layer call has a timeout, and any failure
 * is counted and treated as a miss: the cache can make a request faster,
 * never fail it.
 */
export class TieredCache {
  private readonly counters: Counters[];
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly slots: readonly LayerSlot[],
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly maxPendingWrites = 1000,
  ) {
    this.counters = slots.map(() => ({ hits: 0, misses: 0, sets: 0, errors: 0 }));
  }

  get layerNames(): string[] {
    return this.slots.map((s) => s.layer.name);
  }

  /** Connects the layers that need it; a layer that cannot connect yet is logged and retried by its client. */
  async open(): Promise<void> {
    await Promise.all(
      this.slots.map(async (slot) => {
        if (!slot.layer.open) return;
        try {
          await this.call(slot, "open", (signal) => slot.layer.open!(signal));
        } catch (err) {
          this.logger.warn({ layer: slot.layer.name, err: errorText(err) }, "cache layer unavailable at startup");
        }
      }),
    );
  }

  /** The freshest-enough entry, looking top-down; undefined on a miss everywhere. */
  async get(key: string, maxAgeS?: number, observer?: Pick<CacheLookupObserver, "layer">): Promise<CacheHit | undefined> {
    for (const [i, slot] of this.slots.entries()) {
      const counters = this.counters[i]!;
      let entry: CacheEntry | undefined;
      try {
        entry = await this.call(slot, "get", (signal) => slot.layer.get(key, signal));
      } catch (err) {
        counters.errors++;
        observer?.layer(slot.layer.name, "error");
        this.logger.warn({ layer: slot.layer.name, err: errorText(err) }, "cache layer read failed; skipped");
        continue;
      }
      const now = this.clock.now();
      if (!entry || now >= expiresAtMs(entry) || (maxAgeS !== undefined && now - entry.createdAtMs > maxAgeS * 1000)) {
        counters.misses++;
        observer?.layer(slot.layer.name, "miss");
        continue;
      }
      counters.hits++;
      observer?.layer(slot.layer.name, "hit");
      if (i > 0) this.writeInBackground(this.slots.slice(0, i), key, entry);
      return { entry, layer: slot.layer.kind, ageS: ageS(entry, now) };
    }
    return undefined;
  }

  /** Stores an answer in every layer, in the background. */
  store(key: string, payload: Uint8Array, ttlS: number): void {
    if (ttlS <= 0) return;
    this.writeInBackground(this.slots, key, { payload, createdAtMs: this.clock.now(), ttlS });
  }

  /** Deletes from every layer; throws CacheInvalidationError naming the layers that failed. */
  async invalidate(target: DeleteTarget): Promise<number> {
    const failed: string[] = [];
    const counts = await Promise.all(
      this.slots.map(async (slot, i) => {
        try {
          return await this.call(slot, "delete", (signal) => slot.layer.delete(target, signal));
        } catch (err) {
          this.counters[i]!.errors++;
          failed.push(slot.layer.name);
          this.logger.warn({ layer: slot.layer.name, err: errorText(err) }, "cache invalidation failed in layer");
          return 0;
        }
      }),
    );
    const deleted = counts.reduce((a, b) => a + b, 0);
    if (failed.length > 0) throw new CacheInvalidationError(failed, deleted);
    return deleted;
  }

  stats(): CacheLayerStats[] {
    return this.slots.map((slot, i) => {
      const c = this.counters[i]!;
      const usage = slot.layer.usage?.() ?? {};
      return create(CacheLayerStatsSchema, {
        layer: slot.layer.name,
        hits: BigInt(c.hits),
        misses: BigInt(c.misses),
        sets: BigInt(c.sets),
        errors: BigInt(c.errors),
        evictions: BigInt(usage.evictions ?? 0),
        bytes: BigInt(usage.bytes ?? 0),
        entries: BigInt(usage.entries ?? 0),
      });
    });
  }

  /** Resolves when every background write started so far has finished (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  async close(): Promise<void> {
    await this.idle();
    await Promise.all(this.slots.map((s) => s.layer.close?.().catch(() => {})));
  }

  private async write(slot: LayerSlot, key: string, entry: CacheEntry): Promise<void> {
    const counters = this.counters[this.slots.indexOf(slot)]!;
    try {
      await this.call(slot, "set", (signal) => slot.layer.set(key, entry, signal));
      counters.sets++;
    } catch (err) {
      counters.errors++;
      this.logger.warn({ layer: slot.layer.name, err: errorText(err) }, "cache layer write failed; skipped");
    }
  }

  /** Writes (and back-fills) run detached but tracked; past maxPendingWrites they are dropped and counted. */
  private writeInBackground(slots: readonly LayerSlot[], key: string, entry: CacheEntry): void {
    if (this.pending.size >= this.maxPendingWrites) {
      for (const slot of slots) this.counters[this.slots.indexOf(slot)]!.errors++;
      this.logger.warn({ pending: this.pending.size }, "cache write queue full; write dropped");
      return;
    }
    const all = Promise.all(slots.map((slot) => this.write(slot, key, entry))).then(() => {
      this.pending.delete(all);
    });
    this.pending.add(all);
  }

  /** Runs one layer operation under the layer's timeout (real time: it guards real I/O). */
  private async call<T>(slot: LayerSlot, op: string, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (slot.layer.inProcess) return run(NEVER_ABORTED);
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const err = new CacheLayerTimeout(slot.layer.name, op, slot.timeoutMs);
        controller.abort(err);
        reject(err);
      }, slot.timeoutMs);
    });
    try {
      return await Promise.race([run(controller.signal), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** The signal of an in-process layer's call: there is no I/O to give up on. */
const NEVER_ABORTED = new AbortController().signal;

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

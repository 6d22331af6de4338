import type { KeyRecord } from "./key-record.js";

/** Why a call was not admitted, and when trying again can help. */
export type Admission =
  /** `reservation`: the budget share held for this call until it settles (pass it back to addUsage). */
  | { ok: true; reservation?: string }
  | { ok: false; limit: "rpm" | "tpm"; retryAfterMs: number }
  /** `committed`: not spent yet, but the rest is reserved by calls in flight. */
  | { ok: false; limit: "budget"; spendUsd: number; periodStartMs: number; committed?: boolean };

/**
 * Where keys and their counters live. Two implementations: Redis (shared
 * by every instance; each check-and-count is one Lua script, so it is
 * atomic across instances) and an embedded file (one instance; survives
 * restarts).
 */
export interface KeyStore {
  start(): Promise<void>;
  close(): Promise<void>;
  insert(record: KeyRecord, hash: string): Promise<void>;
  findByHash(hash: string): Promise<KeyRecord | undefined>;
  get(id: string): Promise<KeyRecord | undefined>;
  list(): Promise<KeyRecord[]>;
  /** Replaces an existing key's settings; tells every instance to drop its cached copy. */
  put(record: KeyRecord): Promise<void>;
  /** Swaps the key's secret hash (rotation); the old hash stops matching everywhere. */
  rehash(record: KeyRecord, newHash: string): Promise<void>;
  /**
   * Budget, tpm and rpm checks and, when admitted, the request counted
   * against rpm and (with a budget) the key's average call cost reserved
   * for it, atomically. Spend plus reservations at or over the budget refuses.
   */
  admit(record: KeyRecord, nowMs: number): Promise<Admission>;
  /**
   * Adds a finished call's cost to the current period's spend and its tokens
   * to this minute's, and releases its reservation (also for a failed call, at cost 0).
   */
  addUsage(record: KeyRecord, costUsd: number, tokens: number, nowMs: number, reservation?: string): Promise<void>;
  /** Spend in the period containing nowMs, US dollars. */
  spend(record: KeyRecord, nowMs: number): Promise<number>;
  /** Called with a key id whenever that key changes on any instance. */
  onChange(listener: (keyId: string) => void): void;
}

import type { KeyRecord } from "./key-record.js";

/** Why a call was not admitted, and when trying again can help. */
export type Admission =
  | { ok: true }
  | { ok: false; limit: "rpm" | "tpm"; retryAfterMs: number }
  | { ok: false; limit: "budget"; spendUsd: number; periodStartMs: number };

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
  /** Budget and tpm check plus, when admitted, one request counted against rpm, atomically. */
  admit(record: KeyRecord, nowMs: number): Promise<Admission>;
  /** Adds a finished call's cost to the current period's spend and its tokens to this minute's. */
  addUsage(record: KeyRecord, costUsd: number, tokens: number, nowMs: number): Promise<void>;
  /** Spend in the period containing nowMs, US dollars. */
  spend(record: KeyRecord, nowMs: number): Promise<number>;
  /** Called with a key id whenever that key changes on any instance. */
  onChange(listener: (keyId: string) => void): void;
}

/** A virtual key as stored: settings, never the secret (only its hash, kept beside it by the store). */
export interface KeyRecord {
  id: string;
  alias: string;
  /** Allowed model groups; empty = all. */
  models: string[];
  /** 0 = unlimited. */
  rpm: number;
  tpm: number;
  maxBudgetUsd: number;
  /** As written ("30d"); "" = the budget never resets. */
  budgetPeriod: string;
  budgetPeriodMs: number;
  expiresAtMs?: number;
  metadata: Record<string, string>;
  createdAtMs: number;
  revoked: boolean;
  /** The secret's first characters. */
  preview: string;
  /** The highest options.priority its requests are queued at; absent (records from before the field) = 0. */
  maxPriority?: number;
}

/** Whether admitting a call needs the shared counters (otherwise the check is memory-only). */
export function hasLimits(record: KeyRecord): boolean {
  return record.rpm > 0 || record.tpm > 0 || record.maxBudgetUsd > 0;
}

/**
 * Start of the budget period containing `nowMs`: periods are aligned to the
 * key's creation, so every instance computes the same one from the record
 * alone and a reset needs no coordination (spend is counted per period).
 */
export function periodStartMs(record: KeyRecord, nowMs: number): number {
  if (record.budgetPeriodMs <= 0 || nowMs < record.createdAtMs) return record.createdAtMs;
  return record.createdAtMs + Math.floor((nowMs - record.createdAtMs) / record.budgetPeriodMs) * record.budgetPeriodMs;
}

export const MINUTE_MS = 60_000;

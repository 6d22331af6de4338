import { LATENCY_EWMA_ALPHA, type SuccessSample } from "./state-store.js";

/**
 * A deployment's health, failure window and latency averages as the
 * object-backed state keeps them: the memory store's state objects and the
 * Redis mirror's rows. One set of transitions for both, so a cooldown or a
 * recovery means the same thing whichever holds it (the shared-memory
 * store writes the same rules into its words, the Redis store into its
 * Lua scripts).
 */
export interface DeploymentRecord {
  /** Moving averages; NaN until the first sample. */
  latencyPerTokenMs: number;
  ttftMs: number;
  cooldownUntilMs: number;
  tripped: boolean;
  trialUntilMs: number;
  failures: number;
  failureWindowEndsMs: number;
  lastError: string;
  unhealthy: boolean;
}

/** Cooled down until `untilMs` (never shortening a longer cooldown): tripped, no trial, a fresh failure window. */
export function applyCoolDown(record: DeploymentRecord, untilMs: number, lastError: string): void {
  record.cooldownUntilMs = Math.max(record.cooldownUntilMs, untilMs);
  record.tripped = true;
  record.trialUntilMs = 0;
  record.failures = 0;
  record.failureWindowEndsMs = 0;
  record.lastError = lastError;
}

/** Recovered: not tripped, no cooldown or trial, a fresh failure window. */
export function applyRecovery(record: DeploymentRecord): void {
  record.tripped = false;
  record.trialUntilMs = 0;
  record.cooldownUntilMs = 0;
  record.failures = 0;
  record.failureWindowEndsMs = 0;
}

/** An active health check's result; a failing one keeps its error. */
export function applyHealth(record: DeploymentRecord, healthy: boolean, lastError: string): void {
  record.unhealthy = !healthy;
  if (!healthy) record.lastError = lastError;
}

/** A successful call's latency samples, folded into the moving averages. */
export function applyLatencySample(record: DeploymentRecord, sample: SuccessSample): void {
  if (sample.latencyPerTokenMs !== undefined) record.latencyPerTokenMs = ewma(record.latencyPerTokenMs, sample.latencyPerTokenMs);
  if (sample.ttftMs !== undefined) record.ttftMs = ewma(record.ttftMs, sample.ttftMs);
}

/** The moving average after `sample`; `previous` NaN when there is none yet. */
export function ewma(previous: number, sample: number): number {
  return Number.isNaN(previous) ? sample : previous + LATENCY_EWMA_ALPHA * (sample - previous);
}

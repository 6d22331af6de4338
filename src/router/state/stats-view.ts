import { idleStats, MINUTE_MS, type DeploymentStats } from "./state-store.js";

/**
 * Live stats of a fixed list of deployments, read in place by position in
 * that list: selection reads a few numbers per deployment per pick, and at
 * a thousand deployments building a stats object (or a Map entry) for each
 * one costs more than the whole choice. Stores whose state lives in this
 * process (memory, shared memory) hand out views over their own memory;
 * others are read through `SnapshotView` over the stats they return.
 *
 * Reads reflect the store at the time of the read, with the minute
 * windows as of the last `at(nowMs)`; call it once per pick.
 */
export interface StatsView {
  /** Sets the time reads are judged at: a counter from an earlier clock minute reads as 0, an expired trial as none. */
  at(nowMs: number): void;
  inFlight(i: number): number;
  rpm(i: number): number;
  tpm(i: number): number;
  /** NaN when the deployment has no sample yet. */
  latencyPerTokenMs(i: number): number;
  /** NaN when the deployment has no sample yet. */
  ttftMs(i: number): number;
  cooldownUntilMs(i: number): number;
  tripped(i: number): boolean;
  /** 0 when no trial is running. */
  trialUntilMs(i: number): number;
  unhealthy(i: number): boolean;
  drained(i: number): boolean;
  /**
   * Takes calls as far as its own state goes (`takesCalls`): healthy, not
   * drained, not cooling down, no half-open trial running. One read of the
   * deployment's row for the four, since selection asks it of every
   * deployment on every pick.
   */
  available(i: number): boolean;
  /**
   * Changes whenever a deployment's health, drain, cooldown or trial is
   * written (after the write), so a reader may keep `available` answers
   * while it is unchanged and the clock has not reached `unblocksAtMs` of
   * any it found blocked. NaN when the view cannot tell: reread each pick.
   */
  availabilityVersion(): number;
  /** The full stats of one deployment, as `DeploymentStateStore.stats` reports them (for error messages and the chosen one). */
  statsOf(i: number): DeploymentStats;
}

/** A view over stats already read (stores without a view of their own, e.g. Redis, and strategy tests). */
/**
 * What the views over live state share: the time reads are judged at,
 * and its clock minute (the rpm/tpm window a counter must belong to).
 */
export abstract class LiveStatsView {
  protected now = 0;
  protected minute = 0;

  at(nowMs: number): void {
    this.now = nowMs;
    this.minute = Math.floor(nowMs / MINUTE_MS);
  }
}

/** The rule behind StatsView.available, over the fields every store keeps. */
export function takesCalls(unhealthy: boolean, drained: boolean, cooldownUntilMs: number, tripped: boolean, trialUntilMs: number, nowMs: number): boolean {
  return !unhealthy && !drained && cooldownUntilMs <= nowMs && !(tripped && trialUntilMs > nowMs);
}

/**
 * When a deployment that is not `available` becomes so with no write to
 * the store: its cooldown's end, or a running trial's; never (Infinity)
 * when it is unhealthy or drained. Call after `view.at(nowMs)`.
 */
export function unblocksAtMs(view: StatsView, i: number): number {
  if (view.unhealthy(i) || view.drained(i)) return Infinity;
  return Math.max(view.cooldownUntilMs(i), view.tripped(i) ? view.trialUntilMs(i) : 0);
}

export class SnapshotView implements StatsView {
  private now = 0;

  constructor(private readonly stats: readonly DeploymentStats[]) {}

  static of(ids: readonly string[], stats: ReadonlyMap<string, DeploymentStats>): SnapshotView {
    return new SnapshotView(ids.map((id) => stats.get(id) ?? idleStats()));
  }

  at(nowMs: number): void {
    this.now = nowMs;
  }
  availabilityVersion(): number {
    return Number.NaN; // a snapshot is read once per pick anyway
  }
  available(i: number): boolean {
    const s = this.stats[i]!;
    return takesCalls(s.unhealthy, s.drained === true, s.cooldownUntilMs, s.tripped, s.trialUntilMs, this.now);
  }
  inFlight(i: number): number {
    return this.stats[i]!.inFlight;
  }
  rpm(i: number): number {
    return this.stats[i]!.rpm;
  }
  tpm(i: number): number {
    return this.stats[i]!.tpm;
  }
  latencyPerTokenMs(i: number): number {
    return this.stats[i]!.latencyPerTokenMs ?? Number.NaN;
  }
  ttftMs(i: number): number {
    return this.stats[i]!.ttftMs ?? Number.NaN;
  }
  cooldownUntilMs(i: number): number {
    return this.stats[i]!.cooldownUntilMs;
  }
  tripped(i: number): boolean {
    return this.stats[i]!.tripped;
  }
  trialUntilMs(i: number): number {
    return this.stats[i]!.trialUntilMs;
  }
  unhealthy(i: number): boolean {
    return this.stats[i]!.unhealthy;
  }
  drained(i: number): boolean {
    return this.stats[i]!.drained === true;
  }
  statsOf(i: number): DeploymentStats {
    return this.stats[i]!;
  }
}

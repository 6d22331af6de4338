import { idleStats, MINUTE_MS, type DeploymentStats, type StatsView } from "./state-store.js";

export type { StatsView };

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
  readCounters(rpm: Float64Array, tpm: Float64Array, inFlight: Float64Array | undefined): void {
    const stats = this.stats;
    for (let i = 0; i < stats.length; i++) {
      const s = stats[i]!;
      rpm[i] = s.rpm;
      tpm[i] = s.tpm;
      if (inFlight) inFlight[i] = s.inFlight;
    }
  }
  readLatencies(streaming: boolean, out: Float64Array): void {
    const stats = this.stats;
    for (let i = 0; i < stats.length; i++) out[i] = (streaming ? stats[i]!.ttftMs : stats[i]!.latencyPerTokenMs) ?? Number.NaN;
  }
}

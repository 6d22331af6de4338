import { systemClock, type Clock, type TimerHandle } from "../../src/util/clock.js";

/**
 * The system clock (time passes for real), counting the sleeps in progress
 * by duration: a test awaits code under test parking on a sleep (a mock
 * upstream's latency) and being released from it (its signal aborted)
 * instead of polling for the effects. Where time itself should not pass
 * for real, use FakeClock.
 */
export class WatchedClock implements Clock {
  private readonly sleeping = new Map<number, number>();
  private watchers: Array<{ ms: number; until: (sleeping: number) => boolean; resolve: () => void }> = [];

  now(): number {
    return systemClock.now();
  }

  setTimer(ms: number, onFire: () => void): TimerHandle {
    return systemClock.setTimer(ms, onFire);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.count(ms, +1);
    // Counted out before the sleeper's own continuation runs: once a watcher sees the count drop, the sleep has ended.
    return systemClock.sleep(ms, signal).finally(() => this.count(ms, -1));
  }

  /** Sleeps of exactly `ms` in progress. */
  sleepsOf(ms: number): number {
    return this.sleeping.get(ms) ?? 0;
  }

  /** Resolves once the number of sleeps of exactly `ms` in progress satisfies `until`, checked on every change. */
  whenSleeping(ms: number, until: (sleeping: number) => boolean): Promise<void> {
    if (until(this.sleepsOf(ms))) return Promise.resolve();
    return new Promise((resolve) => this.watchers.push({ ms, until, resolve }));
  }

  private count(ms: number, delta: number): void {
    const n = this.sleepsOf(ms) + delta;
    this.sleeping.set(ms, n);
    const met = this.watchers.filter((w) => w.ms === ms && w.until(n));
    if (met.length === 0) return;
    this.watchers = this.watchers.filter((w) => !met.includes(w));
    for (const w of met) w.resolve();
  }
}

import type { Clock, TimerHandle } from "../../src/util/clock.js";

/**
 * A Clock whose time only moves when a test says so. Sleepers wake in
 * order as `advance` passes their deadlines.
 */
export class FakeClock implements Clock {
  private current: number;
  private sleepers: Array<{ at: number; wake: () => void }> = [];
  private watchers: Array<{ until: (pending: number) => boolean; resolve: () => void }> = [];

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const sleeper = {
        at: this.current + ms,
        wake: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.sleepers = this.sleepers.filter((s) => s !== sleeper);
        this.changed();
        reject(signal?.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.sleepers.push(sleeper);
      this.changed();
    });
  }

  setTimer(ms: number, onFire: () => void): TimerHandle {
    const timer = { at: this.current + Math.max(0, ms), wake: onFire };
    this.sleepers.push(timer);
    this.changed();
    return {
      cancel: () => {
        this.sleepers = this.sleepers.filter((s) => s !== timer);
        this.changed();
      },
    };
  }

  /** Number of pending sleeps and timers: lets a test wait until code under test is parked. */
  get pending(): number {
    return this.sleepers.length;
  }

  /**
   * Resolves once the number of pending sleeps and timers satisfies `until`,
   * checked on every change: waits for code under test to park on this
   * clock (`n > 0`) or to let go of it (`n === 0`) without polling.
   */
  whenPending(until: (pending: number) => boolean): Promise<void> {
    if (until(this.sleepers.length)) return Promise.resolve();
    return new Promise((resolve) => this.watchers.push({ until, resolve }));
  }

  private changed(): void {
    const n = this.sleepers.length;
    const met = this.watchers.filter((w) => w.until(n));
    if (met.length === 0) return;
    this.watchers = this.watchers.filter((w) => !met.includes(w));
    for (const w of met) w.resolve();
  }

  /** Moves time forward, waking each sleeper whose deadline passes, and lets their continuations run. */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    for (;;) {
      this.sleepers.sort((a, b) => a.at - b.at);
      const next = this.sleepers[0];
      if (!next || next.at > target) break;
      this.sleepers.shift();
      this.changed();
      this.current = next.at;
      next.wake();
      await flushMicrotasks();
    }
    this.current = target;
    await flushMicrotasks();
  }
}

async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
  await new Promise((resolve) => setImmediate(resolve));
}

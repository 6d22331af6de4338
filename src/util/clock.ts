/**
 * Time as a dependency: production code reads and waits on a Clock so tests
 * can drive time with a fake one instead of sleeping.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms`, or rejects with the signal's reason when aborted first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /**
   * Calls `onFire` after `ms` unless cancelled first. The cheap primitive
   * behind per-attempt timeouts: no promise, no AbortController.
   */
  setTimer(ms: number, onFire: () => void): TimerHandle;
}

export interface TimerHandle {
  cancel(): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep(ms, signal) {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  },
  setTimer(ms, onFire) {
    const timer = setTimeout(onFire, Math.max(0, ms));
    timer.unref(); // a pending timeout must never keep the process alive
    return { cancel: () => clearTimeout(timer) };
  },
};

/**
 * An AbortSignal that fires after `ms` on the given clock (so fake clocks
 * drive it in tests), with the reason `reason()` builds. Call `cancel` once
 * the guarded work is done, or the timer keeps the process busy until it fires.
 */
export function clockTimeout(clock: Clock, ms: number, reason: () => unknown): { signal: AbortSignal; cancel(): void } {
  const fired = new AbortController();
  const timer = clock.setTimer(ms, () => fired.abort(reason()));
  return { signal: fired.signal, cancel: () => timer.cancel() };
}

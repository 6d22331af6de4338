import type { HedgePolicy } from "../config/group-settings.js";
import type { Clock, TimerHandle } from "../util/clock.js";

/** Samples a percentile hedge delay needs before it is trusted; until then no hedge is sent. */
export const MIN_PERCENTILE_SAMPLES = 20;
const WINDOW_SIZE = 256;
/** The percentile is recomputed after this many new samples, not on every request. */
const RECOMPUTE_EVERY = 16;

/** Recent successful attempt latencies of one group and call kind, for after_latency_percentile. */
export class LatencyWindow {
  private readonly samples: number[] = [];
  private next = 0;
  private sinceRecompute = RECOMPUTE_EVERY;
  private cached?: number;
  private cachedPercentile?: number;

  add(ms: number): void {
    if (this.samples.length < WINDOW_SIZE) this.samples.push(ms);
    else this.samples[this.next] = ms;
    this.next = (this.next + 1) % WINDOW_SIZE;
    this.sinceRecompute++;
  }

  /** The `p`th percentile (nearest rank), or undefined with too few samples. */
  percentile(p: number): number | undefined {
    if (this.samples.length < MIN_PERCENTILE_SAMPLES) return undefined;
    if (this.cached === undefined || this.cachedPercentile !== p || this.sinceRecompute >= RECOMPUTE_EVERY) {
      const sorted = [...this.samples].sort((a, b) => a - b);
      this.cached = sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
      this.cachedPercentile = p;
      this.sinceRecompute = 0;
    }
    return this.cached;
  }
}

/** The delay before a hedge under `policy`, or undefined when no hedge should be sent (no percentile yet). */
export function hedgeDelayMs(policy: HedgePolicy, window: LatencyWindow): number | undefined {
  if (policy.afterMs !== undefined) return policy.afterMs;
  return window.percentile(policy.afterPercentile!);
}

/** Why a losing attempt's signal aborts: another attempt of the same request answered first. */
export class HedgeLost extends Error {
  override readonly name = "HedgeLost";
  constructor() {
    super("another attempt of this request answered first");
  }
}

/** Thrown by a hedge launch when no other deployment can take it: not a failure, just no hedge. */
export class NoHedgeTarget extends Error {
  override readonly name = "NoHedgeTarget";
}

/** One running attempt of a race. */
export interface RacingAttempt<T> {
  readonly result: Promise<T>;
}

export interface HedgeRace<T> {
  clock: Clock;
  /** Delay before each hedge; undefined: no hedge. */
  delayMs: number | undefined;
  maxHedges: number;
  /** Starts an attempt whose signal is `cancel`; a hedge (isHedge) may throw NoHedgeTarget. */
  launch(isHedge: boolean, cancel: AbortSignal): Promise<RacingAttempt<T>>;
  /** A running attempt lost: called synchronously when the winner is known, before it is aborted. */
  onLost(attempt: RacingAttempt<T>): void;
  /** An attempt that succeeded after another had already won: give back what it holds. */
  discard(value: T): void;
}

/**
 * Runs the first attempt and, while nothing has answered after the delay,
 * up to max_hedges more on other deployments. The first success wins and
 * the others are aborted (their upstream calls cancelled through their
 * signals). If every started attempt fails before any succeeds, the race
 * fails with the last attempt's error, so the caller's retry policy
 * decides what happens next, exactly as without hedging.
 */
export function raceWithHedges<T>(race: HedgeRace<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const running = new Map<RacingAttempt<T>, AbortController>();
    let launching = 0;
    let hedges = 0;
    let settled = false;
    let timer: TimerHandle | undefined;
    let lastError: unknown;

    const finishIfIdle = () => {
      if (settled || running.size > 0 || launching > 0) return;
      settled = true;
      timer?.cancel();
      reject(lastError);
    };

    const start = async (isHedge: boolean) => {
      const controller = new AbortController();
      launching++;
      let attempt: RacingAttempt<T>;
      try {
        attempt = await race.launch(isHedge, controller.signal);
      } catch (err) {
        launching--;
        if (!(err instanceof NoHedgeTarget)) lastError = err;
        finishIfIdle();
        return;
      }
      launching--;
      if (settled) {
        // Launched while the winner was being decided: it lost before it began.
        race.onLost(attempt);
        controller.abort(new HedgeLost());
        attempt.result.then(race.discard, () => undefined);
        return;
      }
      running.set(attempt, controller);
      attempt.result.then(
        (value) => {
          running.delete(attempt);
          if (settled) return race.discard(value);
          settled = true;
          timer?.cancel();
          for (const [other, otherController] of running) {
            race.onLost(other);
            otherController.abort(new HedgeLost());
          }
          resolve(value);
        },
        (err) => {
          running.delete(attempt);
          if (settled) return;
          lastError = err;
          // The first attempt failed fast: no point hedging a request the retry policy now handles.
          if (running.size === 0 && launching === 0) timer?.cancel();
          finishIfIdle();
        },
      );
    };

    const arm = () => {
      if (race.delayMs === undefined || hedges >= race.maxHedges) return;
      timer = race.clock.setTimer(race.delayMs, () => {
        timer = undefined;
        if (settled) return;
        hedges++;
        void start(true);
        arm();
      });
    };

    void start(false);
    arm();
  });
}

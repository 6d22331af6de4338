import { ErrorKind } from "../../gen/ts/switchyard/v1/inference_pb.js";
import { GatewayError } from "../errors/gateway-error.js";
import { clockTimeout, type Clock, type TimerHandle } from "../util/clock.js";

/**
 * The whole request's time budget across retries and fallbacks: the
 * caller's signal (client cancel, gRPC deadline) plus options.timeout_ms
 * on the gateway clock.
 */
export class RequestDeadline {
  readonly signal: AbortSignal;
  private readonly atMs?: number;
  private readonly timer?: { cancel(): void };

  constructor(
    callerSignal: AbortSignal,
    timeoutMs: number | undefined,
    private readonly clock: Clock,
  ) {
    if (timeoutMs === undefined || timeoutMs === 0) {
      this.signal = callerSignal;
      return;
    }
    this.atMs = clock.now() + timeoutMs;
    const timer = clockTimeout(
      clock,
      timeoutMs,
      () => new GatewayError(ErrorKind.TIMEOUT, `the request did not complete within options.timeout_ms (${timeoutMs} ms)`),
    );
    this.timer = timer;
    this.signal = AbortSignal.any([callerSignal, timer.signal]);
  }

  /** Time left, ms; Infinity without options.timeout_ms (the gRPC deadline still aborts the signal). */
  remainingMs(): number {
    return this.atMs === undefined ? Infinity : this.atMs - this.clock.now();
  }

  dispose(): void {
    this.timer?.cancel();
  }
}

/**
 * One attempt's timeout and signal. Unary calls arm it once; streams arm
 * it for the first chunk and then for each gap between chunks. Re-arming
 * only moves a deadline: the one underlying timer re-checks it when it
 * fires, so a stream of thousands of chunks costs a handful of timers,
 * not one timer (and AbortController) per chunk. The signal aborts with a
 * TIMEOUT GatewayError naming the deployment, or with the request's own
 * reason when the request is aborted (cancel, deadline).
 */
export class AttemptTimer {
  private readonly controller = new AbortController();
  private handle?: TimerHandle;
  private firesAt = 0;
  private deadlineMs = Infinity;
  private ms = 0;
  private what = "";

  constructor(
    private readonly clock: Clock,
    parent?: AbortSignal,
  ) {
    if (parent?.aborted) this.controller.abort(parent.reason);
    else parent?.addEventListener("abort", () => this.controller.abort(parent.reason), { once: true });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Whether this attempt's own timeout (not the request's abort) fired. */
  get timedOut(): boolean {
    return this.controller.signal.aborted && this.controller.signal.reason instanceof AttemptTimeout;
  }

  arm(ms: number, what: string): void {
    this.deadlineMs = this.clock.now() + ms;
    this.ms = ms;
    this.what = what;
    if (this.handle && this.firesAt <= this.deadlineMs) return; // the pending timer fires first and re-checks
    this.handle?.cancel();
    this.schedule(ms);
  }

  /** Stops the clock between chunks (time spent waiting on the client does not count) without dropping the timer. */
  pause(): void {
    this.deadlineMs = Infinity;
  }

  cancel(): void {
    this.deadlineMs = Infinity;
    this.handle?.cancel();
    this.handle = undefined;
  }

  private schedule(ms: number): void {
    this.firesAt = this.clock.now() + ms;
    this.handle = this.clock.setTimer(ms, () => this.fire());
  }

  private fire(): void {
    this.handle = undefined;
    if (this.deadlineMs === Infinity) return; // paused: the next arm schedules afresh
    const left = this.deadlineMs - this.clock.now();
    if (left > 0) return this.schedule(left);
    this.controller.abort(new AttemptTimeout(`${this.what} (${this.ms} ms)`));
  }
}

/** The reason an attempt's signal aborts when its own timeout fires. */
export class AttemptTimeout extends GatewayError {
  constructor(message: string) {
    super(ErrorKind.TIMEOUT, message);
  }
}

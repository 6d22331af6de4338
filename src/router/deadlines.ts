import { ErrorKind } from "../../gen/ts/switchyard/v1/inference_pb.js";
import { GatewayError } from "../errors/gateway-error.js";
import { clockTimeout, type Clock } from "../util/clock.js";

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
 * One attempt's timeout, re-armable: unary calls arm it once; streams arm
 * it for the first chunk and then for each gap between chunks. Its signal
 * aborts with a TIMEOUT GatewayError naming the deployment.
 */
export class AttemptTimer {
  private readonly controller = new AbortController();
  private current?: { cancel(): void };

  constructor(private readonly clock: Clock) {}

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  arm(ms: number, what: string): void {
    this.cancel();
    const timer = clockTimeout(this.clock, ms, () => new GatewayError(ErrorKind.TIMEOUT, `${what} (${ms} ms)`));
    timer.signal.addEventListener("abort", () => this.controller.abort(timer.signal.reason), { once: true });
    this.current = timer;
  }

  cancel(): void {
    this.current?.cancel();
    this.current = undefined;
  }
}

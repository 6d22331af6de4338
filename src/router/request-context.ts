/** Per-request facts the server hands down: when it arrived and when to give up. */
export interface RequestContext {
  /** Aborted when the client cancels or its deadline passes. */
  signal: AbortSignal;
  /** Wall-clock arrival, epoch ms. */
  receivedAtMs: number;
  /** performance.now() at arrival: the origin of every timing offset. */
  startedAt: number;
}

export function newRequestContext(signal: AbortSignal, receivedAtMs = Date.now()): RequestContext {
  return { signal, receivedAtMs, startedAt: performance.now() };
}

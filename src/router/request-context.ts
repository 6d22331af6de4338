import type { RequestObserver } from "../observability/request-observer.js";

/** Per-request facts the server hands down: when it arrived and when to give up. */
export interface RequestContext {
  /** Aborted when the client cancels or its deadline passes. */
  signal: AbortSignal;
  /** Wall-clock arrival, epoch ms. */
  receivedAtMs: number;
  /** performance.now() at arrival: the origin of every timing offset. */
  startedAt: number;
  /** Where the router and cache report attempts, fallbacks and cache lookups; absent when not observed. */
  observer?: RequestObserver;
  /** The caller's key may reach only these model groups (fallbacks included); absent or empty: any. */
  allowedGroups?: readonly string[];
  /** Who is calling (a virtual key's id, "master"); absent when auth is off. Waiting requests take turns by caller. */
  caller?: string;
}

export function newRequestContext(
  signal: AbortSignal,
  observer?: RequestObserver,
  receivedAtMs = Date.now(),
  allowedGroups?: readonly string[],
  caller?: string,
): RequestContext {
  return { signal, receivedAtMs, startedAt: performance.now(), observer, allowedGroups, caller };
}

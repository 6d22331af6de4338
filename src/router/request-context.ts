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
  /** Where the router adds what providers bill for this request that no answer carries (UnbilledSpend); absent when nobody bills the caller. */
  unbilled?: UnbilledSpend;
}

/**
 * Spend of a request that no response message carries, so a key's budget
 * would not see it: prompts sent on attempts abandoned in flight (timed out,
 * cancelled) when the request then failed, and a stream cut before its
 * usage arrived (the prompt and the text already streamed, estimated). The
 * auth interceptor creates one per call and settles it with the rest.
 */
export interface UnbilledSpend {
  usd: number;
}

export function newRequestContext(
  signal: AbortSignal,
  observer?: RequestObserver,
  receivedAtMs = Date.now(),
  allowedGroups?: readonly string[],
  caller?: string,
  unbilled?: UnbilledSpend,
): RequestContext {
  return { signal, receivedAtMs, startedAt: performance.now(), observer, allowedGroups, caller, unbilled };
}

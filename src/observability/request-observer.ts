/**
 * The seam through which the router and the cache report what happened
 * inside one request (upstream attempts, fallbacks, cache lookups) to the
 * observability layer, without knowing about metrics or spans. One
 * observer per request travels in its RequestContext; when observability
 * is off there is none and the hooks cost one undefined check.
 */
export interface RequestObserver {
  /** An upstream attempt is about to be made (retry = 0 for the first try in a group). */
  attemptStarted(attempt: AttemptInfo): AttemptObserver;
  /** The request moved on from one model group to a fallback group. */
  fallback(from: string, to: string): void;
  /** A cache lookup is about to run. */
  cacheLookup(): CacheLookupObserver;
}

export interface AttemptInfo {
  deploymentId: string;
  provider: string;
  modelGroup: string;
  retry: number;
}

export interface AttemptObserver {
  /** Runs the upstream call, inside the attempt's trace span when tracing is on (so its traceparent reaches the provider). */
  run<T>(call: () => Promise<T>): Promise<T>;
  succeeded(): void;
  /** `error` is the classified failure (a GatewayError) or the caller's abort reason. */
  failed(error: unknown): void;
}

export type CacheResult = "hit" | "miss" | "error" | "skip";

export interface CacheLookupObserver {
  /** What one layer answered. */
  layer(name: string, result: CacheResult): void;
  /** The lookup is over; `hit` says whether any layer answered. */
  end(hit: boolean): void;
}

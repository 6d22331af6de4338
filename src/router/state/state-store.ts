
/**
 * The seam for deployment state: what the router knows about each
 * deployment's load, speed and health. One implementation keeps it in this
 * process; the Redis one shares it with every gateway instance and falls
 * back to local state when Redis is unreachable.
 *
 * Times are the gateway Clock's epoch milliseconds, passed in by callers or
 * read from the store's clock, never Redis' own time, so tests drive them.
 */
export interface DeploymentStats {
  /** Requests running on the deployment now. */
  inFlight: number;
  /** Requests started in the current clock minute. */
  rpm: number;
  /** Tokens used in the current clock minute. */
  tpm: number;
  /** Moving average of unary latency per completion token, ms (whole latency for calls without completion tokens). */
  latencyPerTokenMs?: number;
  /** Moving average of time to first streamed chunk, ms. */
  ttftMs?: number;
  /** Skipped until this time; 0 when not cooling down. */
  cooldownUntilMs: number;
  /** Cooled down and not yet recovered: once the cooldown is over, the next call is a single trial (half-open). */
  tripped: boolean;
  /** A half-open trial is running until this time; 0 when none. */
  trialUntilMs: number;
  /** Failures counted in the current failure window. */
  recentFailures: number;
  /** "KIND: message" of the last failure, or empty. */
  lastError: string;
  /** Failing active health checks. */
  unhealthy: boolean;
  /** Drained by an operator (AdminService.SetDeploymentState): no new requests. */
  drained?: boolean;
}

/** What one successful call adds to a deployment's stats. */
export interface SuccessSample {
  /** Tokens the call used (prompt + completion), counted toward tpm. */
  totalTokens: number;
  /** Unary latency divided by completion tokens (or whole latency), ms. */
  latencyPerTokenMs?: number;
  /** Streams: time to first chunk, ms. */
  ttftMs?: number;
}

/** A started request on a deployment; end it exactly once. */
export interface Lease {
  /** Releases the in-flight slot; with a sample, also records usage and latency. */
  end(sample?: SuccessSample): Promise<void>;
}

export interface DeploymentStateStore {
  /** True while state is shared with other gateway instances (Redis reachable). */
  readonly shared: boolean;
  /** Current stats of the given deployments (unknown ones read as idle and healthy). */
  stats(ids: readonly string[]): Promise<Map<string, DeploymentStats>>;
  /**
   * A synchronous view of the given deployments' stats, read in place
   * (index = position in `ids`), for stores whose state (or a mirror of
   * it) is in this process; undefined when the store cannot offer one
   * (then selection reads `stats`). Taken once per deployment list and kept.
   */
  view?(ids: readonly string[]): StatsView | undefined;
  /**
   * For a store whose view mirrors state kept elsewhere (Redis with
   * state_sync_ms): a promise to await before reading `view` when the
   * mirror may be too stale to pick from (or a deployment is too near one
   * of its `limits`, by position as in `view`), else undefined. Never rejects.
   */
  viewReady?(view: StatsView, limits: ReadonlyArray<{ readonly rpmLimit?: number; readonly tpmLimit?: number; readonly maxParallelRequests?: number }>): Promise<void> | undefined;
  /** A request starts on the deployment: one more in flight and one more request this minute. */
  begin(id: string): Promise<Lease>;
  /**
   * `begin`, only while the deployment is under its caps, checked and
   * counted in one atomic step for every router sharing the store (worker
   * threads, or gateway instances through Redis); undefined when it is at
   * one. A pick reads the counts before it begins, so two routers can both
   * see the last free slot or the last request of the minute; only one of
   * them gets it here.
   */
  tryBegin(id: string, caps: BeginCaps): Promise<Lease | undefined>;
  /**
   * Resolves the next time a call ends in another router sharing this
   * state in this process (another worker thread), whose capacity this
   * router's wait queue may be waiting for. Absent where calls ending
   * elsewhere cannot be heard (one process: its own leases wake its queue;
   * other instances: the queue's periodic re-check).
   */
  nextCallEnd?(): Promise<void>;
  /** Counts a failure in the deployment's failure window (which starts at the window's first failure); returns the count. */
  recordFailure(id: string, lastError: string, windowMs: number): Promise<number>;
  /** Skips the deployment until `untilMs`; afterwards one trial call decides whether it recovered. */
  coolDown(id: string, untilMs: number, lastError: string): Promise<void>;
  /** Claims the single half-open trial of a cooled-down deployment for `ttlMs`; false if another caller holds it. */
  tryBeginTrial(id: string, ttlMs: number): Promise<boolean>;
  /** The deployment recovered: no longer tripped, failure window cleared. */
  recover(id: string): Promise<void>;
  /** Result of an active health check. */
  setHealth(id: string, healthy: boolean, lastError: string): Promise<void>;
  /** An operator drains (true) or resumes (false) the deployment; drained ones take no new requests. */
  setDrained(id: string, drained: boolean): Promise<void>;
  close(): Promise<void>;
}

/** What tryBegin holds a deployment to; an absent cap is not checked. */
export interface BeginCaps {
  /** max_parallel_requests: requests in flight. */
  readonly maxInFlight?: number;
  /** rpm: requests begun this clock minute. */
  readonly rpm?: number;
  /**
   * tpm: tokens this clock minute, counting the tokens calls in flight
   * reserved. With a tpm cap the begin reserves `tokens` (the request's
   * estimate: prompt plus max_tokens or a typical answer), as providers
   * that enforce tpm count max_tokens at admission; the lease's end
   * replaces the reservation with the tokens used (none when the call
   * failed), if the minute has not turned since.
   */
  readonly tpm?: number;
  readonly tokens?: number;
}

/** Tokens a begin under `caps` reserves: its estimate, under a tpm cap only (whole tokens, as every store counts them). */
export function tokensToReserve(caps: BeginCaps): number {
  return caps.tpm !== undefined && caps.tokens !== undefined && caps.tokens > 0 ? Math.round(caps.tokens) : 0;
}

/** Tokens a begin reserved, in the clock minute it counted them in. */
export interface TokenReservation {
  readonly tokens: number;
  readonly minute: number;
}

/** What to add to the current minute's tpm when a call that reserved `reservation` ends having used `used` tokens. */
export function tokensToCount(used: number, reservation: TokenReservation | undefined, currentMinute: number): number {
  if (!reservation || reservation.minute !== currentMinute) return used;
  return used - reservation.tokens;
}

export function idleStats(): DeploymentStats {
  return { inFlight: 0, rpm: 0, tpm: 0, cooldownUntilMs: 0, tripped: false, trialUntilMs: 0, recentFailures: 0, lastError: "", unhealthy: false };
}

/** Weight of a new sample in the latency moving averages; older samples decay geometrically. */
export const LATENCY_EWMA_ALPHA = 0.3;

export const MINUTE_MS = 60_000;

/**
 * Live stats of a fixed list of deployments, read in place by position in
 * that list: selection reads a few numbers per deployment per pick, and at
 * a thousand deployments building a stats object (or a Map entry) for each
 * one costs more than the whole choice. Stores whose state lives in this
 * process (memory, shared memory) hand out views over their own memory;
 * others are read through `SnapshotView` over the stats they return.
 *
 * Reads reflect the store at the time of the read, with the minute
 * windows as of the last `at(nowMs)`; call it once per pick.
 */
export interface StatsView {
  /** Sets the time reads are judged at: a counter from an earlier clock minute reads as 0, an expired trial as none. */
  at(nowMs: number): void;
  inFlight(i: number): number;
  rpm(i: number): number;
  tpm(i: number): number;
  /** NaN when the deployment has no sample yet. */
  latencyPerTokenMs(i: number): number;
  /** NaN when the deployment has no sample yet. */
  ttftMs(i: number): number;
  cooldownUntilMs(i: number): number;
  tripped(i: number): boolean;
  /** 0 when no trial is running. */
  trialUntilMs(i: number): number;
  unhealthy(i: number): boolean;
  drained(i: number): boolean;
  /**
   * Takes calls as far as its own state goes (`takesCalls`): healthy, not
   * drained, not cooling down, no half-open trial running. One read of the
   * deployment's row for the four, since selection asks it of every
   * deployment on every pick.
   */
  available(i: number): boolean;
  /**
   * Changes whenever a deployment's health, drain, cooldown or trial is
   * written (after the write), so a reader may keep `available` answers
   * while it is unchanged and the clock has not reached `unblocksAtMs` of
   * any it found blocked. NaN when the view cannot tell: reread each pick.
   */
  availabilityVersion(): number;
  /** The full stats of one deployment, as `DeploymentStateStore.stats` reports them (for error messages and the chosen one). */
  statsOf(i: number): DeploymentStats;
  /**
   * Every listed deployment's rpm and tpm this minute, and its in-flight
   * count when `inFlight` is given, written into the arrays by position:
   * the one bulk read of a pick. A loop inside the store's own class reads
   * its memory monomorphically, where three calls per deployment from the
   * selector's loop cost more than the rest of the pick.
   */
  readCounters(rpm: Float64Array, tpm: Float64Array, inFlight: Float64Array | undefined): void;
  /** Every listed deployment's latency average by position: ttftMs for streams, else latencyPerTokenMs (NaN when unmeasured). */
  readLatencies(streaming: boolean, out: Float64Array): void;
  /**
   * Adjusts in-flight counts read by readCounters (limits already judged
   * on them) into the weights a least-busy ranking should compare, where
   * some of the counts are a stale snapshot every instance shares (the
   * Redis mirror). Views whose counts are current have none.
   */
  rankInFlights?(inFlight: Float64Array): void;
}

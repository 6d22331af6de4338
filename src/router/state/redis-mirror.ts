import type { Clock, TimerHandle } from "../../util/clock.js";
import type { MemoryStateStore } from "./memory-store.js";
import { MINUTE_MS, type DeploymentStats, type StatsView, type SuccessSample } from "./state-store.js";
import { LiveStatsView, takesCalls } from "./stats-view.js";
import { applyCoolDown, applyHealth, applyLatencySample, applyRecovery, type DeploymentRecord } from "./transitions.js";

/** One deployment as one refresh read it from Redis: its state hash, and the counters other instances hold. */
export interface SharedRead {
  /** The deployment's state hash (cooldown_until, tripped, trial_until, unhealthy, drained, fails, lat_tok, ...), when asked for. */
  readonly hash?: Readonly<Record<string, string>>;
  /** In flight on other live instances (this instance's share left out: it is read from local state). */
  readonly othersInFlight: number;
  /** The minute's fleet-wide rpm and tpm counters, this instance's share included. */
  readonly rpm: number;
  readonly tpm: number;
}

/** What the mirror needs from the Redis store. */
export interface MirrorSource {
  /** False while Redis is unreachable or degraded: views then answer from local state. */
  readonly shared: boolean;
  /**
   * Reads the deployments' shared state for clock minute `minute` in one
   * pipelined round trip, sending it before returning (so the order of
   * Redis commands matches the order of calls); undefined when Redis is
   * unusable.
   */
  read(ids: readonly string[], minute: number, withState: boolean): Promise<SharedRead[] | undefined>;
  /** Instances sharing the state whose lease is live, this one included (1 until the first heartbeat tells). */
  readonly liveInstances: number;
}

/**
 * A deployment's shared state as of the last refresh, without this
 * instance's own counters, with this instance's own writes since applied.
 * One per deployment id, shared by every view listing it.
 */
class MirrorRow implements DeploymentRecord {
  /** The state hash has been read into this row at least once. */
  stateRead = false;
  othersInFlight = 0;
  /** This minute's rpm and tpm of other instances (the minute is the refresh's: MirrorView.countersMinute). */
  othersRpm = 0;
  othersTpm = 0;
  /** Clock time of the read behind the three counters above. */
  countsReadAtMs = -Infinity;
  /** Other instances' begins and tokens per ms lately: how much their unseen use may have grown since a read. */
  beginsPerMs = 0;
  tokensPerMs = 0;
  /** Where the current rate measurement started (a read in `rateMinute`). */
  private rateMinute = -1;
  private rateSinceMs = 0;
  private rateSinceRpm = 0;
  private rateSinceTpm = 0;
  latencyPerTokenMs = Number.NaN;
  ttftMs = Number.NaN;
  cooldownUntilMs = 0;
  tripped = false;
  trialUntilMs = 0;
  unhealthy = false;
  drained = false;
  failures = 0;
  failureWindowEndsMs = 0;
  lastError = "";

  /** Starts as local state says, so a row not read from Redis yet answers like the local store. */
  constructor(local: DeploymentStats) {
    this.latencyPerTokenMs = local.latencyPerTokenMs ?? Number.NaN;
    this.ttftMs = local.ttftMs ?? Number.NaN;
    this.cooldownUntilMs = local.cooldownUntilMs;
    this.tripped = local.tripped;
    this.trialUntilMs = local.trialUntilMs;
    this.unhealthy = local.unhealthy;
    this.drained = local.drained === true;
    this.lastError = local.lastError;
  }

  /**
   * Other instances' counters from a read sent at `readAtMs` (`own`: this
   * instance's share as that read includes it). A read older than the
   * one already applied is dropped.
   */
  setCounters(read: SharedRead, own: DeploymentStats, readAtMs: number, minute: number, rateWindowMs: number): void {
    if (readAtMs < this.countsReadAtMs) return;
    // Never below 0: begins made while Redis was away are in local counts but not in Redis'.
    const rpm = Math.max(0, read.rpm - own.rpm);
    const tpm = Math.max(0, read.tpm - own.tpm);
    if (this.rateMinute !== minute) {
      // First read, or a new minute: start measuring here; until then, guess from the minute so far (at least a second of it).
      if (this.countsReadAtMs === -Infinity) {
        const sinceMinuteStart = Math.max(1_000, readAtMs - minute * MINUTE_MS);
        this.beginsPerMs = rpm / sinceMinuteStart;
        this.tokensPerMs = tpm / sinceMinuteStart;
      }
      this.rateMinute = minute;
      this.rateSinceMs = readAtMs;
      this.rateSinceRpm = rpm;
      this.rateSinceTpm = tpm;
    } else if (readAtMs - this.rateSinceMs >= rateWindowMs) {
      // Quick to rise, halving per window when use slows: a burst is never underestimated for long.
      const elapsed = readAtMs - this.rateSinceMs;
      this.beginsPerMs = Math.max((rpm - this.rateSinceRpm) / elapsed, this.beginsPerMs / 2);
      this.tokensPerMs = Math.max((tpm - this.rateSinceTpm) / elapsed, this.tokensPerMs / 2);
      this.rateSinceMs = readAtMs;
      this.rateSinceRpm = rpm;
      this.rateSinceTpm = tpm;
    }
    this.othersInFlight = read.othersInFlight;
    this.othersRpm = rpm;
    this.othersTpm = tpm;
    this.countsReadAtMs = readAtMs;
  }

  /** The state hash as read (`localCooldownUntilMs`: this instance's own cooldown, which counts even if Redis missed it). */
  setState(hash: Readonly<Record<string, string>>, localCooldownUntilMs: number): void {
    this.stateRead = true;
    this.latencyPerTokenMs = hash.lat_tok === undefined ? Number.NaN : Number(hash.lat_tok);
    this.ttftMs = hash.ttft === undefined ? Number.NaN : Number(hash.ttft);
    // As RedisStateStore.stats: a cooldown this instance set while Redis was away still counts.
    this.cooldownUntilMs = Math.max(num(hash.cooldown_until), localCooldownUntilMs);
    this.tripped = hash.tripped === "1";
    this.trialUntilMs = num(hash.trial_until);
    this.unhealthy = hash.unhealthy === "1";
    this.drained = hash.drained === "1";
    this.failures = num(hash.fails);
    this.failureWindowEndsMs = num(hash.fail_window_ends);
    this.lastError = hash.last_error ?? "";
  }

  sameAvailability(other: AvailabilityFields): boolean {
    return (
      this.cooldownUntilMs === other.cooldownUntilMs &&
      this.tripped === other.tripped &&
      this.trialUntilMs === other.trialUntilMs &&
      this.unhealthy === other.unhealthy &&
      this.drained === other.drained
    );
  }
}

type AvailabilityFields = Pick<MirrorRow, "cooldownUntilMs" | "tripped" | "trialUntilMs" | "unhealthy" | "drained">;

/** What each of the store's own writes does to a row: what its Redis script or HSET does to the state hash. */
export const ownWrites = {
  coolDown: (untilMs: number, lastError: string) => (row: MirrorRow) => applyCoolDown(row, untilMs, lastError),
  recover: () => (row: MirrorRow) => applyRecovery(row),
  health: (healthy: boolean, lastError: string) => (row: MirrorRow) => applyHealth(row, healthy, lastError),
  drained: (drained: boolean) => (row: MirrorRow) => {
    row.drained = drained;
  },
  trial: (untilMs: number) => (row: MirrorRow) => {
    row.trialUntilMs = untilMs;
  },
  /** A latency sample, applied to the averages as the FINISH script applies it (NaN: no average yet). */
  sample: (sample: SuccessSample) => (row: MirrorRow) => applyLatencySample(row, sample),
};

/**
 * A write of this instance, applied to the mirror at once and kept until
 * Redis has acknowledged it: a refresh whose read was sent before that
 * may not include it, so the refresh applies it again over what it read.
 */
export interface MirrorWrite {
  /** Redis answered (or the write was not sent): later reads include it. */
  settle(): void;
}

interface PendingWrite extends MirrorWrite {
  readonly id: string;
  readonly apply: (row: MirrorRow) => void;
}

const num = (v: string | undefined) => (v === undefined ? 0 : Number(v));

/**
 * A local mirror of the shared deployment state in Redis, so a pick on the
 * Redis store reads memory, not the network (router_settings.state_sync_ms).
 *
 * What a view reads: this instance's own counters (in flight, rpm, tpm)
 * from its local state, always current; other instances' counters as of
 * the last refresh; health, drain, cooldown, trial and latency averages as
 * of the last refresh with this instance's own writes since applied on top.
 * A refresh runs every `syncMs` for the views picked from lately, at once
 * when another instance announces an availability change (`invalidate`),
 * and before the next pick (`ready`) when a view has not been refreshed
 * for two intervals (first pick, picks after a quiet spell, an outage).
 * While Redis is unusable views answer from local state, as `stats` does.
 */
export class RedisMirror {
  private readonly rows = new Map<string, MirrorRow>();
  /** Views picked from within DORMANT_AFTER_MS: the ones refreshes read. */
  private readonly active = new Set<MirrorView>();
  /** StatsView.availabilityVersion of every view. */
  private version = 0;
  /** Bumped when another instance announced a change: views refreshed before it are stale. */
  private epoch = 0;
  private wasShared = false;
  /** `shared` as `ready` last saw it: when Redis becomes usable again, every view is stale. */
  private readyShared = false;
  /** This instance's writes Redis has not acknowledged yet. */
  private readonly unsettled = new Set<PendingWrite>();
  /** Writes a refresh in flight must apply over what it read: unsettled when its read was sent, or made since. */
  private replay?: PendingWrite[];
  private round?: Promise<void>;
  private timer?: TimerHandle;
  private stopped = false;
  /** A view not refreshed for this long (plus twice the last round's duration) is refreshed before it is read. */
  private readonly staleAfterMs: number;
  /** How long the last refresh round took, from sending its read to applying it. */
  private lastRoundMs = 0;
  /** This instance's begins and tokens so far: how far its own use can have eaten into a view's slack since it was computed. */
  private ownBegins = 0;
  private ownTokens = 0;
  /** When, and in which epoch, the last round that read the state hashes was sent (stateDue). */
  private stateReadAtMs = -Infinity;
  private stateEpoch = -1;
  private readonly stateEveryMs: number;

  constructor(
    private readonly source: MirrorSource,
    private readonly local: MemoryStateStore,
    private readonly clock: Clock,
    private readonly syncMs: number,
  ) {
    this.staleAfterMs = 2 * syncMs;
    this.stateEveryMs = stateEveryMs(syncMs);
  }

  /** A view over the deployments; starts the refresh loop on first use. */
  view(ids: readonly string[]): MirrorView {
    const rows = ids.map((id) => this.row(id));
    if (!this.timer && !this.stopped) this.schedule();
    return new MirrorView(this, ids, rows, this.local.view(ids));
  }

  /**
   * Undefined when the view may be read at once; else a promise to await
   * first (one refresh; never rejects: on failure the view answers from
   * local state). Called once per pick, before reading the view.
   */
  ready(view: MirrorView, limits?: readonly DeploymentLimits[]): Promise<void> | undefined {
    if (limits && !view.limited) view.watchLimits(limits, this.staleAfterMs);
    const shared = this.source.shared;
    if (shared !== this.readyShared) {
      this.readyShared = shared;
      if (shared) this.epoch++; // what other instances did meanwhile was neither read nor announced to us
    }
    if (!shared) return undefined;
    if (this.isStale(view, this.clock.now())) return this.freshen(view);
    if (view.nearLimit(this.ownBegins, this.ownTokens)) return this.readNear(view);
    return undefined;
  }

  /** This instance began a request (RedisStateStore.begin). */
  noteBegin(): void {
    this.ownBegins++;
  }

  /** This instance's request used tokens (counted toward tpm at its end). */
  noteTokens(tokens: number): void {
    this.ownTokens += tokens;
  }

  /** Another instance changed some deployment's availability (or its announcements may have been missed): refresh now. */
  invalidate(): void {
    this.epoch++;
    if (this.active.size > 0 && this.source.shared) void this.freshenActive();
  }

  /**
   * Reads the active views' deployments from Redis into the mirror: one
   * pipelined round trip. Concurrent callers share the round in flight.
   * The refresh loop calls it every syncMs; tests call it directly.
   */
  refresh(): Promise<void> {
    this.round ??= this.runRound().finally(() => {
      this.round = undefined;
    });
    return this.round;
  }

  /** An own write, applied to the mirror now (and bumping the availability version when it is one). */
  write(id: string, apply: (row: MirrorRow) => void, availability: boolean): MirrorWrite {
    const row = this.rows.get(id);
    if (row) apply(row);
    if (availability) this.version++;
    const write: PendingWrite = { id, apply, settle: () => this.unsettled.delete(write) };
    this.unsettled.add(write);
    this.replay?.push(write);
    return write;
  }

  /** Where StatsView.availabilityVersion reads. */
  availabilityVersion(): number {
    return this.version;
  }

  /** Live instances sharing the state (MirrorSource.liveInstances). */
  liveInstances(): number {
    return this.source.liveInstances;
  }

  /** Whether views read shared state this pick; a switch either way bumps the availability version (the source of truth changed). */
  sharedNow(): boolean {
    const shared = this.source.shared;
    if (shared !== this.wasShared) {
      this.wasShared = shared;
      this.version++;
    }
    return shared;
  }

  /** A view was picked from: keep refreshing it. */
  activate(view: MirrorView): void {
    this.active.add(view);
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
  }

  private schedule(): void {
    this.timer = this.clock.setTimer(this.syncMs, () => {
      void this.refresh().finally(() => {
        if (!this.stopped) this.schedule();
      });
    });
  }

  private isStale(view: MirrorView, nowMs: number): boolean {
    // The loop's own pace counts: views are refreshed every syncMs after a round ends, and are as old as the read's
    // sending, so with slow rounds (a large group on a busy instance) a view the loop keeps up with would otherwise look
    // stale and every pick would wait for a round on the request path.
    return view.epoch !== this.epoch || nowMs - view.readAtMs > this.staleAfterMs + 2 * this.lastRoundMs;
  }

  private async freshen(view: MirrorView): Promise<void> {
    view.touch(this.clock.now()); // so the round reads it
    this.activate(view);
    // A round already in flight may have been sent before what made the view stale: then one more.
    for (let rounds = 0; rounds < 2 && this.source.shared && this.isStale(view, this.clock.now()); rounds++) await this.refresh();
  }

  /**
   * Some deployment of the view may be within other instances' unseen use
   * of a limit: read just those deployments' counters now (a small read,
   * one round trip), so the pick judges that limit on fresh counts as the
   * exact mode would. Concurrent picks share the read.
   */
  private readNear(view: MirrorView): Promise<void> {
    view.nearRead ??= this.runNearRead(view).finally(() => {
      view.nearRead = undefined;
    });
    return view.nearRead;
  }

  private async runNearRead(view: MirrorView): Promise<void> {
    const now = this.clock.now();
    const minute = Math.floor(now / MINUTE_MS);
    // Counters of an older minute in the view: a whole refresh, which recomputes the slack.
    if (view.countersMinute !== minute) return this.refresh();
    const positions = view.computeSlack(now, this.ownBegins, this.ownTokens);
    if (positions.length === 0) return;
    const ids = positions.map((p) => view.ids[p]!);
    const own = ids.map((id) => this.local.statsOf(id, now));
    let reads: SharedRead[] | undefined;
    try {
      reads = await this.source.read(ids, minute, false);
    } catch {
      reads = undefined;
    }
    if (!reads) return;
    ids.forEach((id, i) => this.rows.get(id)!.setCounters(reads[i]!, own[i]!, now, minute, this.syncMs / 2));
    if (view.countersMinute !== minute) return;
    view.copyCounters(positions);
    view.computeSlack(this.clock.now(), this.ownBegins, this.ownTokens);
  }

  private async freshenActive(): Promise<void> {
    for (let rounds = 0; rounds < 2 && this.source.shared; rounds++) {
      const now = this.clock.now();
      if (![...this.active].some((view) => this.isStale(view, now))) return;
      await this.refresh();
    }
  }

  private async runRound(): Promise<void> {
    const now = this.clock.now();
    const views: MirrorView[] = [];
    for (const view of this.active) {
      if (now - view.pickedAtMs > dormantAfterMs(this.syncMs)) this.active.delete(view);
      else views.push(view);
    }
    if (views.length === 0 || !this.source.shared) return;
    const ids = [...new Set(views.flatMap((view) => view.ids))];
    const minute = Math.floor(now / MINUTE_MS);
    const epoch = this.epoch;
    const withState = this.stateDue(ids, now, epoch);
    // This instance's own share of the minute's counters, as the read about to be sent will include it.
    const own = ids.map((id) => this.local.statsOf(id, now));
    this.replay = [...this.unsettled];
    let reads: SharedRead[] | undefined;
    try {
      reads = await this.source.read(ids, minute, withState);
    } catch {
      reads = undefined; // the source logs; views fall back to local state while it is not shared
    }
    const replay = this.replay;
    this.replay = undefined;
    if (!reads) return;
    let changed = false;
    ids.forEach((id, i) => {
      const row = this.rows.get(id)!;
      const read = reads[i]!;
      const hash = read.hash;
      const mine = own[i]!;
      row.setCounters(read, mine, now, minute, this.syncMs / 2);
      if (!hash) return;
      const before: AvailabilityFields = { ...row };
      row.setState(hash, mine.cooldownUntilMs);
      for (const write of replay) if (write.id === id) write.apply(row);
      if (!row.sameAvailability(before)) changed = true;
    });
    if (changed) this.version++;
    if (withState) {
      this.stateReadAtMs = now;
      this.stateEpoch = epoch;
    }
    const later = this.clock.now();
    this.lastRoundMs = later - now;
    for (const view of views) {
      view.refreshed(now, epoch, minute);
      if (view.limited) view.computeSlack(later, this.ownBegins, this.ownTokens);
    }
  }

  /**
   * Whether this round reads the state hashes too, not just the counters:
   * availability changes (cooldowns, recoveries, drains, health, trials)
   * are announced, and an announcement (or a reconnect, which may have
   * missed some) moves the epoch, so the hashes are read after one, for
   * deployments never read, and at least every stateEveryMs for what is
   * not announced (latency averages, failure counts). Most rounds read
   * half as much.
   */
  private stateDue(ids: readonly string[], nowMs: number, epoch: number): boolean {
    if (epoch !== this.stateEpoch || nowMs - this.stateReadAtMs >= this.stateEveryMs) return true;
    for (const id of ids) if (!this.rows.get(id)!.stateRead) return true;
    return false;
  }

  private row(id: string): MirrorRow {
    let row = this.rows.get(id);
    if (!row) {
      row = new MirrorRow(this.local.statsOf(id));
      this.rows.set(id, row);
    }
    return row;
  }
}

/** A deployment's limits, as the router's deployment list has them (ResolvedDeployment). */
export interface DeploymentLimits {
  readonly rpmLimit?: number;
  readonly tpmLimit?: number;
  readonly maxParallelRequests?: number;
}

/**
 * The limits of a view's deployments that have any, by position, and how
 * close the view was to one when last computed: other instances' use is
 * seen only as of the last read, so a pick near a limit must read fresh
 * counts first (RedisMirror.readNear) or the fleet overshoots it by what
 * the other instances did since.
 */
class LimitWatch {
  readonly positions: Int32Array;
  readonly rpm: Float64Array;
  readonly tpm: Float64Array;
  readonly parallel: Float64Array;
  /** Scratch for this instance's own counters, by view position. */
  readonly ownRpm: Float64Array;
  readonly ownTpm: Float64Array;
  readonly ownInFlight: Float64Array;
  /** Begins (any deployment) and tokens this instance may still use before some deployment of the view is near a limit; none until first computed. */
  slackBegins = -Infinity;
  slackTokens = -Infinity;
  /** RedisMirror's own-use counters when the slack was computed. */
  beginsAt = 0;
  tokensAt = 0;

  constructor(
    limits: readonly DeploymentLimits[],
    /** How long after its last refresh a view is refreshed before it is read (RedisMirror's staleAfterMs). */
    readonly staleAfterMs: number,
  ) {
    const limited: number[] = [];
    limits.forEach((l, p) => {
      if (l.rpmLimit !== undefined || l.tpmLimit !== undefined || l.maxParallelRequests !== undefined) limited.push(p);
    });
    this.positions = Int32Array.from(limited);
    this.rpm = Float64Array.from(limited, (p) => limits[p]!.rpmLimit ?? Infinity);
    this.tpm = Float64Array.from(limited, (p) => limits[p]!.tpmLimit ?? Infinity);
    this.parallel = Float64Array.from(limited, (p) => limits[p]!.maxParallelRequests ?? Infinity);
    this.ownRpm = new Float64Array(limits.length);
    this.ownTpm = new Float64Array(limits.length);
    this.ownInFlight = new Float64Array(limits.length);
  }
}

/** What is not announced (latency averages, failure counts) is read at least this often. */
export function stateEveryMs(syncMs: number): number {
  return Math.max(10 * syncMs, 1_000);
}

/** Views picked from within this long are refreshed every interval; others wait for their next pick. */
function dormantAfterMs(syncMs: number): number {
  return Math.max(10 * syncMs, 10_000);
}

/**
 * The Redis store's StatsView in mirror mode: this instance's own counters
 * read in place from its local state (MemoryStateStore's view) plus the
 * mirror's rows; while Redis is unusable, local state alone.
 */
export class MirrorView extends LiveStatsView implements StatsView {
  /** Clock time of the read behind the rows' last refresh (-Infinity: never). */
  readAtMs = -Infinity;
  /** RedisMirror's epoch that refresh was sent in. */
  epoch = -1;
  /** Last pick (at) or freshen: a view quiet for long stops being refreshed. */
  pickedAtMs = -Infinity;
  /** This pick reads shared state (Redis usable), else local state alone. */
  private shared = false;
  // Other instances' counters by position, copied from the rows at each refresh: the pick's bulk read adds
  // typed arrays to local state's, rather than reading a row object per deployment.
  private readonly othersRpm: Float64Array;
  private readonly othersTpm: Float64Array;
  private readonly othersInFlight: Float64Array;
  /** Clock minute othersRpm and othersTpm belong to. */
  countersMinute = -1;
  /** The deployments' limits, once the router passed them (RedisStateStore.viewReady). */
  private limits?: LimitWatch;
  /** A read of near-limit deployments in flight (RedisMirror.readNear). */
  nearRead?: Promise<void>;

  constructor(
    private readonly mirror: RedisMirror,
    readonly ids: readonly string[],
    private readonly rows: readonly MirrorRow[],
    private readonly local: StatsView,
  ) {
    super();
    this.othersRpm = new Float64Array(ids.length);
    this.othersTpm = new Float64Array(ids.length);
    this.othersInFlight = new Float64Array(ids.length);
  }

  /** A refresh that read this view's deployments was sent at `readAtMs`, in `epoch`, for counters of `minute`. */
  refreshed(readAtMs: number, epoch: number, minute: number): void {
    this.readAtMs = readAtMs;
    this.epoch = epoch;
    this.countersMinute = minute;
    const rows = this.rows;
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      this.othersRpm[i] = r.othersRpm;
      this.othersTpm[i] = r.othersTpm;
      this.othersInFlight[i] = r.othersInFlight;
    }
  }

  /** Copies the rows' counters at these positions (after a read of just those deployments, in countersMinute). */
  copyCounters(positions: readonly number[]): void {
    for (const p of positions) {
      const r = this.rows[p]!;
      this.othersRpm[p] = r.othersRpm;
      this.othersTpm[p] = r.othersTpm;
      this.othersInFlight[p] = r.othersInFlight;
    }
  }

  get limited(): boolean {
    return this.limits !== undefined;
  }

  watchLimits(limits: readonly DeploymentLimits[], staleAfterMs: number): void {
    const watch = new LimitWatch(limits, staleAfterMs);
    if (watch.positions.length > 0) this.limits = watch;
  }

  /** Whether this instance's own use since the slack was computed may have brought a deployment near a limit. O(1): asked every pick. */
  nearLimit(ownBegins: number, ownTokens: number): boolean {
    const w = this.limits;
    return w !== undefined && (ownBegins - w.beginsAt > w.slackBegins || ownTokens - w.tokensAt >= w.slackTokens);
  }

  /**
   * Recomputes the slack from the counters as they are now: for each
   * limited deployment under its limit, how many more begins (or tokens)
   * fit before its count plus other instances' unseen use reaches the
   * limit, that use projected at their recent pace from when the
   * deployment's counters were read until this view must be refreshed
   * anyway (so the slack holds until then). At or over a limit is no concern: rpm and tpm only
   * grow within a minute, so the mirror never shows them above the truth
   * (in-flight may read high for up to an interval after another
   * instance's request ends: the safe side). Returns the positions whose
   * slack is used up.
   */
  computeSlack(nowMs: number, ownBegins: number, ownTokens: number): number[] {
    const w = this.limits;
    if (!w) return [];
    this.local.at(nowMs);
    this.local.readCounters(w.ownRpm, w.ownTpm, w.ownInFlight);
    const sameMinute = this.countersMinute === Math.floor(nowMs / MINUTE_MS);
    let slackBegins = Infinity;
    let slackTokens = Infinity;
    const near: number[] = [];
    for (let k = 0; k < w.positions.length; k++) {
      const p = w.positions[k]!;
      const row = this.rows[p]!;
      const rpm = w.ownRpm[p]! + (sameMinute ? this.othersRpm[p]! : 0);
      const tpm = w.ownTpm[p]! + (sameMinute ? this.othersTpm[p]! : 0);
      const inFlight = w.ownInFlight[p]! + this.othersInFlight[p]!;
      const horizonMs = Math.max(0, this.readAtMs + w.staleAfterMs - row.countsReadAtMs);
      const unseenBegins = row.beginsPerMs * horizonMs;
      let begins = Infinity;
      if (rpm < w.rpm[k]!) begins = w.rpm[k]! - 1 - unseenBegins - rpm;
      if (inFlight < w.parallel[k]!) begins = Math.min(begins, w.parallel[k]! - 1 - unseenBegins - inFlight);
      const tokens = tpm < w.tpm[k]! ? w.tpm[k]! - row.tokensPerMs * horizonMs - tpm : Infinity;
      if (begins < 0 || tokens <= 0) near.push(p);
      slackBegins = Math.min(slackBegins, begins);
      slackTokens = Math.min(slackTokens, tokens);
    }
    w.slackBegins = slackBegins;
    w.slackTokens = slackTokens;
    w.beginsAt = ownBegins;
    w.tokensAt = ownTokens;
    return near;
  }

  touch(nowMs: number): void {
    this.pickedAtMs = nowMs;
  }

  override at(nowMs: number): void {
    super.at(nowMs);
    this.local.at(nowMs);
    this.pickedAtMs = nowMs;
    this.shared = this.mirror.sharedNow();
    this.mirror.activate(this);
  }

  availabilityVersion(): number {
    return this.mirror.availabilityVersion();
  }
  available(i: number): boolean {
    if (!this.shared) return this.local.available(i);
    const r = this.rows[i]!;
    return takesCalls(r.unhealthy, r.drained, r.cooldownUntilMs, r.tripped, r.trialUntilMs, this.now);
  }
  inFlight(i: number): number {
    return this.local.inFlight(i) + (this.shared ? this.othersInFlight[i]! : 0);
  }
  rpm(i: number): number {
    return this.local.rpm(i) + (this.shared && this.countersMinute === this.minute ? this.othersRpm[i]! : 0);
  }
  tpm(i: number): number {
    return this.local.tpm(i) + (this.shared && this.countersMinute === this.minute ? this.othersTpm[i]! : 0);
  }
  latencyPerTokenMs(i: number): number {
    return this.shared ? this.rows[i]!.latencyPerTokenMs : this.local.latencyPerTokenMs(i);
  }
  ttftMs(i: number): number {
    return this.shared ? this.rows[i]!.ttftMs : this.local.ttftMs(i);
  }
  cooldownUntilMs(i: number): number {
    return this.shared ? this.rows[i]!.cooldownUntilMs : this.local.cooldownUntilMs(i);
  }
  tripped(i: number): boolean {
    return this.shared ? this.rows[i]!.tripped : this.local.tripped(i);
  }
  trialUntilMs(i: number): number {
    if (!this.shared) return this.local.trialUntilMs(i);
    const until = this.rows[i]!.trialUntilMs;
    return until > this.now ? until : 0;
  }
  unhealthy(i: number): boolean {
    return this.shared ? this.rows[i]!.unhealthy : this.local.unhealthy(i);
  }
  drained(i: number): boolean {
    return this.shared ? this.rows[i]!.drained : this.local.drained(i);
  }
  statsOf(i: number): DeploymentStats {
    if (!this.shared) return this.local.statsOf(i);
    const r = this.rows[i]!;
    return {
      inFlight: this.inFlight(i),
      rpm: this.rpm(i),
      tpm: this.tpm(i),
      latencyPerTokenMs: Number.isNaN(r.latencyPerTokenMs) ? undefined : r.latencyPerTokenMs,
      ttftMs: Number.isNaN(r.ttftMs) ? undefined : r.ttftMs,
      cooldownUntilMs: r.cooldownUntilMs,
      tripped: r.tripped,
      trialUntilMs: this.trialUntilMs(i),
      recentFailures: r.failureWindowEndsMs > this.now ? r.failures : 0,
      lastError: r.lastError,
      unhealthy: r.unhealthy,
      drained: r.drained,
    };
  }
  readCounters(rpm: Float64Array, tpm: Float64Array, inFlight: Float64Array | undefined): void {
    this.local.readCounters(rpm, tpm, inFlight);
    if (!this.shared) return;
    const n = this.ids.length;
    if (this.countersMinute === this.minute) {
      const { othersRpm, othersTpm } = this;
      for (let i = 0; i < n; i++) {
        rpm[i]! += othersRpm[i]!;
        tpm[i]! += othersTpm[i]!;
      }
    }
    if (inFlight) {
      const othersInFlight = this.othersInFlight;
      for (let i = 0; i < n; i++) inFlight[i]! += othersInFlight[i]!;
    }
  }
  /**
   * Damps other instances' in-flight counts for ranking to 1/N of their
   * weight (N live instances). Every instance sees the same stale snapshot
   * between refreshes, so with full weight all N correct the same
   * imbalance at once and together overshoot it N-fold (a herd: the
   * deployment that looked idle at the refresh gets N instances' catch-up
   * calls). At 1/N each corrects its share, and the fleet's totals still
   * balance: own counts keep their full weight, so any imbalance left
   * is corrected by every instance. Limits were judged on the true counts
   * before this.
   */
  rankInFlights(inFlight: Float64Array): void {
    const instances = this.mirror.liveInstances();
    if (!this.shared || instances <= 1) return;
    const shed = 1 - 1 / instances;
    const othersInFlight = this.othersInFlight;
    for (let i = 0; i < othersInFlight.length; i++) inFlight[i]! -= shed * othersInFlight[i]!;
  }
  readLatencies(streaming: boolean, out: Float64Array): void {
    if (!this.shared) return this.local.readLatencies(streaming, out);
    const rows = this.rows;
    for (let i = 0; i < rows.length; i++) out[i] = streaming ? rows[i]!.ttftMs : rows[i]!.latencyPerTokenMs;
  }
}

export type { MirrorRow };

import type { ResolvedDeployment } from "../config/resolve.js";
import { ErrorKind, GatewayError } from "../errors/gateway-error.js";
import { eligibleDeployments, ListLimits, type Eligible } from "./eligibility.js";
import type { DeploymentStateStore, DeploymentStats } from "./state/state-store.js";
import { SnapshotView, unblocksAtMs, type StatsView } from "./state/stats-view.js";
import { CandidateSet, isIndexed, type Candidate, type PickRequest, type RoutingStrategy } from "./strategy.js";

// Per-pick marks on list positions.
const EXCLUDED = 1; // hedging: already racing on it
const FAILED = 2; // failed this request: a last resort
const DROPPED = 4; // lost what its pick had to win (Router.take: its capped slot, its half-open trial) in this pick

// Slots of a scan's tally.
const ELIGIBLE = 0; // eligible, before exclusions
const OPEN = 1; // and not excluded
const FRESH = 2; // and not failed here (dropped ones included: dropping comes after the failed-here choice)

/**
 * A pick's one bulk read of the list's live counters from the view, into
 * the set's by-position arrays, with this router's picks not yet begun
 * counted as begun.
 */
function readLive(list: SelectionList, view: StatsView, pending: Int32Array, anyPending: boolean, readsInFlight: boolean): void {
  const { slots, set } = list;
  const { inFlights, rpms } = set;
  view.readCounters(rpms, set.tpms, readsInFlight || list.limits.anyMaxParallel ? inFlights : undefined);
  if (!anyPending) return;
  for (let p = 0; p < slots.length; p++) {
    const waiting = pending[slots[p]!]!;
    inFlights[p]! += waiting; // NaN (not read) stays NaN
    rpms[p]! += waiting;
  }
}

// The limit half of eligibility (the deployment's own state is StatsView.available, in `blocked`) is written out in
// both scans below with no branch per limit kind: an unset limit is Infinity, so its comparison is false, as is
// NaN >= limit for in-flight counts not read and a prompt of 0 tokens against any maxInputTokens.

/**
 * The hot loop, for a pick with no marks (no exclusions, nothing failed
 * or dropped: nearly every pick): writes the eligible positions into the
 * set and returns their number. Branch-free per deployment (the tests are
 * summed, not short-circuited): with no mispredictions to pay, this runs
 * in about half the time of the branching loop at a thousand deployments.
 */
function scanUnmarked(list: SelectionList, blocked: Uint8Array, promptTokens: number): number {
  const { positions, inFlights, rpms, tpms } = list.set;
  const { maxParallel, rpm: rpmLimit, tpm: tpmLimit, maxInputTokens } = list.limits;
  const length = positions.length;
  let n = 0;
  for (let p = 0; p < length; p++) {
    const ruledOut =
      blocked[p]! |
      (+(inFlights[p]! >= maxParallel[p]!) | +(rpms[p]! >= rpmLimit[p]!) | +(tpms[p]! >= tpmLimit[p]!) | +(promptTokens > maxInputTokens[p]!));
    positions[n] = p; // overwritten by the next candidate unless this one counts
    n += ruledOut ^ 1;
  }
  return n;
}

/**
 * The loop for a pick with marks: as scanUnmarked, also counting into
 * `tally` the eligible deployments before exclusions, those not excluded,
 * and those not failed here, for the errors and the last-resort rule.
 */
function scanMarked(list: SelectionList, blocked: Uint8Array, promptTokens: number, tally: Int32Array): number {
  const { marks, set } = list;
  const { positions, inFlights, rpms, tpms } = set;
  const { maxParallel, rpm: rpmLimit, tpm: tpmLimit, maxInputTokens } = list.limits;
  const length = positions.length;
  let eligible = 0;
  let open = 0;
  let fresh = 0;
  let n = 0;
  for (let p = 0; p < length; p++) {
    if (blocked[p] !== 0 || inFlights[p]! >= maxParallel[p]! || rpms[p]! >= rpmLimit[p]! || tpms[p]! >= tpmLimit[p]! || promptTokens > maxInputTokens[p]!) continue;
    eligible++;
    const m = marks[p]!;
    if (m & EXCLUDED) continue;
    open++;
    if (!(m & FAILED)) fresh++;
    if (m & DROPPED) continue;
    positions[n++] = p;
  }
  tally[ELIGIBLE] = eligible;
  tally[OPEN] = open;
  tally[FRESH] = fresh;
  return n;
}

/** Keeps the first `n` candidates not marked failed-here (some are: the scan counted them); returns how many. */
function dropFailed(list: SelectionList, n: number): number {
  const { marks, set } = list;
  const positions = set.positions;
  let kept = 0;
  for (let k = 0; k < n; k++) {
    if (marks[positions[k]!]! & FAILED) continue;
    positions[kept++] = positions[k]!;
  }
  return kept;
}

/** What the selector keeps per deployment list (a group's capable or tagged deployments), built on its first pick. */
export class SelectionList {
  readonly ids: readonly string[];
  readonly positionOf: Map<string, number>;
  readonly limits: ListLimits;
  readonly set: CandidateSet;
  readonly marks: Uint8Array;
  /** The store's own view of this list, or undefined when selection reads `stats` each pick. */
  readonly view?: StatsView;

  constructor(
    readonly deployments: readonly ResolvedDeployment[],
    /** Each position's pending slot (Selector.pending). */
    readonly slots: Int32Array,
    store: DeploymentStateStore,
  ) {
    this.ids = deployments.map((d) => d.id);
    this.positionOf = new Map(this.ids.map((id, p) => [id, p]));
    this.limits = new ListLimits(deployments);
    this.view = store.view?.(this.ids);
    this.set = new CandidateSet(deployments, this.view ?? new SnapshotView([]));
    this.marks = new Uint8Array(deployments.length);
    this.blocked = new Uint8Array(deployments.length);
  }

  private readonly blocked: Uint8Array;
  private blockedView?: StatsView;
  private blockedVersion = Number.NaN;
  private blockedValidUntilMs = -Infinity;

  /**
   * Which deployments their own state rules out (not StatsView.available),
   * 1 per position. Recomputed only when the view's availability version
   * moved or the clock reached the first time a blocked one frees up:
   * health, drains, cooldowns and trials change rarely, so most picks skip
   * reading them. Call after `view.at(nowMs)`.
   */
  blockedAt(view: StatsView, nowMs: number): Uint8Array {
    const version = view.availabilityVersion();
    if (view === this.blockedView && version === this.blockedVersion && nowMs < this.blockedValidUntilMs) return this.blocked;
    let validUntil = Infinity;
    for (let p = 0; p < this.blocked.length; p++) {
      const available = view.available(p);
      this.blocked[p] = available ? 0 : 1;
      if (!available) validUntil = Math.min(validUntil, unblocksAtMs(view, p));
    }
    this.blockedView = view;
    this.blockedVersion = version;
    this.blockedValidUntilMs = validUntil;
    return this.blocked;
  }
}

/**
 * Deployment selection without per-deployment objects: for each pick one
 * pass over the list checks eligibility in place (StatsView) and writes
 * the candidates' positions into a reused CandidateSet, which the strategy
 * reads in place. Everything sized by the list is built once per list.
 * Also keeps this router's picks not yet begun in the store (pending), so
 * a burst of concurrent calls, which all read stats before any of them
 * begins, does not pile onto the same "least busy" deployment.
 */
export class Selector {
  private readonly lists = new WeakMap<readonly ResolvedDeployment[], SelectionList>();
  private readonly slotOf = new Map<string, number>();
  private pending = new Int32Array(16);
  /** Sum of `pending`: when 0 (no burst in progress), a scan skips reading it. */
  private pendingTotal = 0;
  /** The last scan's counts (ELIGIBLE, OPEN, FRESH). */
  private readonly tally = new Int32Array(3);

  constructor(private readonly store: DeploymentStateStore) {}

  list(deployments: readonly ResolvedDeployment[]): SelectionList {
    let list = this.lists.get(deployments);
    if (!list) {
      const slots = Int32Array.from(deployments, (d) => this.slot(d.id));
      list = new SelectionList(deployments, slots, this.store);
      this.lists.set(deployments, list);
    }
    return list;
  }

  /** A snapshot of the list's stats from `stats`, for stores without a view (SelectionList.view). */
  async snapshot(list: SelectionList): Promise<StatsView> {
    return SnapshotView.of(list.ids, await this.store.stats(list.ids));
  }

  adjustPending(id: string, delta: number): void {
    const slot = this.slot(id);
    const next = Math.max(0, this.pending[slot]! + delta);
    this.pendingTotal += next - this.pending[slot]!;
    this.pending[slot] = next;
  }

  /**
   * The candidates of one pick, in list order: eligible, not in `exclude`
   * or `dropped`, and not in `failedHere` unless that leaves none (a
   * deployment that just failed this request is the last resort). Throws
   * the eligibility error (with a reason per deployment) when none is
   * eligible, and NO_DEPLOYMENT_AVAILABLE when exclusions leave none.
   * The set is valid until the next call (read it synchronously).
   */
  candidates(
    list: SelectionList,
    view: StatsView,
    group: string,
    nowMs: number,
    promptTokens: number,
    failedHere: ReadonlySet<string>,
    exclude: ReadonlySet<string> | undefined,
    dropped: readonly number[] | undefined,
    /** The strategy reads CandidateSet.inFlight (IndexedStrategy.readsInFlight). */
    readsInFlight: boolean,
  ): CandidateSet {
    const { marks, set } = list;
    const marked = this.mark(list, failedHere, FAILED) | this.mark(list, exclude, EXCLUDED);
    if (dropped) for (const p of dropped) marks[p]! |= DROPPED;
    view.at(nowMs);
    const tally = this.tally;
    readLive(list, view, this.pending, this.pendingTotal > 0, readsInFlight);
    const blocked = list.blockedAt(view, nowMs);
    let n: number;
    if (marked === 0 && !dropped) {
      n = scanUnmarked(list, blocked, promptTokens);
      tally.fill(n);
    } else {
      n = scanMarked(list, blocked, promptTokens, tally);
      if ((marked & FAILED) !== 0 && tally[FRESH]! > 0) n = dropFailed(list, n);
      marks.fill(0);
    }
    if (tally[ELIGIBLE] === 0) this.explainNone(list, view, group, nowMs, promptTokens);
    if (tally[OPEN] === 0) throw new GatewayError(ErrorKind.NO_DEPLOYMENT_AVAILABLE, `no other deployment of "${group}" is available`);
    if (n === 0) throw new GatewayError(ErrorKind.NO_DEPLOYMENT_AVAILABLE, `no deployment of "${group}" is available: the rest are taken by other calls (a half-open trial running, or the last request under the max_parallel_requests or rpm limit)`);
    if (readsInFlight) view.rankInFlights?.(set.inFlights); // after the scans: limits judge the true counts
    set.view = view;
    set.size = n;
    set.whole = n === list.deployments.length;
    return set;
  }

  /** The position in `set` of `preferred` when it is a candidate that is neither half-open nor failed here, else -1. */
  stickyIn(list: SelectionList, set: CandidateSet, preferred: ResolvedDeployment, failedHere: ReadonlySet<string>): number {
    const p = list.positionOf.get(preferred.id);
    if (p === undefined || list.deployments[p] !== preferred || failedHere.has(preferred.id) || set.view.tripped(p)) return -1;
    return set.positions.subarray(0, set.size).indexOf(p);
  }

  /** The strategy's choice among the set, as a position in it. */
  choose(strategy: RoutingStrategy, set: CandidateSet, pick: PickRequest): number {
    if (isIndexed(strategy)) return strategy.choose(set, pick);
    // A strategy without `choose` (passed in RouterDeps) sees Candidate objects.
    const candidates: Candidate[] = [];
    for (let k = 0; k < set.size; k++) candidates.push({ deployment: set.deployment(k), stats: this.statsAt(set, set.positions[k]!) });
    const chosen = strategy.pick(candidates, pick);
    return candidates.findIndex((c) => c.deployment === chosen);
  }

  /** Candidate k as the router hands it on: the deployment, its stats (with pending picks), whether it is a half-open trial. */
  eligible(set: CandidateSet, k: number): Eligible {
    const p = set.positions[k]!;
    const stats = this.statsAt(set, p);
    return { deployment: set.list[p]!, stats, trial: stats.tripped };
  }

  private statsAt(set: CandidateSet, p: number): DeploymentStats {
    const stats = set.view.statsOf(p);
    const pending = this.pending[this.slotOf.get(set.list[p]!.id)!]!;
    return pending === 0 ? stats : { ...stats, inFlight: stats.inFlight + pending, rpm: stats.rpm + pending };
  }

  /** Nothing eligible: the eligibility filter's error, with a reason per deployment (a rare path, so objects are fine here). */
  private explainNone(list: SelectionList, view: StatsView, group: string, nowMs: number, promptTokens: number): never {
    const stats = new Map<string, DeploymentStats>();
    for (let p = 0; p < list.deployments.length; p++) {
      const s = view.statsOf(p);
      const pending = this.pending[list.slots[p]!]!;
      stats.set(list.ids[p]!, pending === 0 ? s : { ...s, inFlight: s.inFlight + pending, rpm: s.rpm + pending });
    }
    eligibleDeployments({ group, deployments: list.deployments, stats, nowMs, promptTokens });
    throw new GatewayError(ErrorKind.NO_DEPLOYMENT_AVAILABLE, `no deployment of "${group}" is available`);
  }

  private mark(list: SelectionList, ids: ReadonlySet<string> | undefined, mark: number): number {
    if (!ids || ids.size === 0) return 0;
    let any = 0;
    for (const id of ids) {
      const p = list.positionOf.get(id);
      if (p !== undefined) {
        list.marks[p]! |= mark;
        any = mark;
      }
    }
    return any;
  }

  private slot(id: string): number {
    let slot = this.slotOf.get(id);
    if (slot === undefined) {
      slot = this.slotOf.size;
      this.slotOf.set(id, slot);
      if (slot >= this.pending.length) {
        const grown = new Int32Array(this.pending.length * 2);
        grown.set(this.pending);
        this.pending = grown;
      }
    }
    return slot;
  }
}

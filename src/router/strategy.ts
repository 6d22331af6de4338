import type { ResolvedDeployment } from "../config/resolve.js";
import type { DeploymentStats } from "./state/state-store.js";
import { SnapshotView, type StatsView } from "./state/stats-view.js";

/** One eligible deployment with its live stats, as a strategy sees it. */
export interface Candidate {
  readonly deployment: ResolvedDeployment;
  readonly stats: DeploymentStats;
}

/** What a strategy may weigh about the request itself. */
export interface PickRequest {
  /** Streams are judged by time to first token, unary calls by latency per token. */
  readonly streaming: boolean;
  /** Estimated prompt tokens (src/util/tokens.ts), 0 when not a completion. */
  readonly promptTokens: number;
  /** Expected completion tokens: the request's max_tokens, or a typical answer length. */
  readonly completionTokens: number;
}

/**
 * The seam for routing strategies: given the eligible deployments (already
 * filtered for capability, tags, health, cooldown, limits and context
 * window, never empty) and their live stats, return one. Strategies read
 * stats; they never own or change them.
 */
export interface RoutingStrategy {
  readonly name: string;
  pick(candidates: readonly Candidate[], request: PickRequest): ResolvedDeployment;
}

/**
 * A strategy that can also choose over a CandidateSet, reading stats in
 * place: the router's path for groups of thousands of deployments, where
 * a Candidate object per deployment per pick costs more than the choice.
 * `pick` and `choose` make the same choice for the same candidates and
 * random numbers. The built-in strategies are all indexed; a strategy
 * passed in RouterDeps need not be (the router then builds Candidates).
 */
export interface IndexedStrategy extends RoutingStrategy {
  /** The position in `set` (0 ≤ k < set.size) of the chosen candidate. */
  choose(set: CandidateSet, request: PickRequest): number;
  /**
   * Reads `set.inFlight`. Only then (or when a deployment sets
   * max_parallel_requests) does selection read the in-flight counts, a
   * sum over worker slots in the shared-memory store; otherwise they are NaN.
   */
  readonly readsInFlight?: boolean;
}

export function isIndexed(strategy: RoutingStrategy): strategy is IndexedStrategy {
  return typeof (strategy as Partial<IndexedStrategy>).choose === "function";
}

/**
 * The eligible deployments of one pick without an object per deployment:
 * positions into the deployment list, and the list's live counters as
 * the pick read them (by list position; in flight and rpm include this
 * router's picks not yet begun), the rest read in place from a
 * StatsView. Refilled for every pick; a strategy reads it synchronously
 * and keeps nothing.
 */
export class CandidateSet {
  /** Number of candidates; index k < size. */
  size = 0;
  /** Every deployment of the list is a candidate, in list order (positions[k] === k): lets a strategy use what it precomputed for the list. */
  whole = false;
  /** Candidate k is list[positions[k]]. */
  readonly positions: Int32Array;
  /** In flight per list position (not current unless the strategy declares `readsInFlight`): candidate k's is inFlights[positions[k]]. */
  readonly inFlights: Float64Array;
  /** Requests this minute per list position. */
  readonly rpms: Float64Array;
  /** Tokens this minute per list position. */
  readonly tpms: Float64Array;
  /** Scratch a strategy may use for one score per candidate (by k or by list position). */
  readonly scores: Float64Array;
  /** Scratch for candidate indices (lowestAt's ties). */
  readonly ties: Int32Array;
  private readonly listLatencies: Float64Array;

  constructor(
    /** The deployment list the positions index. */
    readonly list: readonly ResolvedDeployment[],
    public view: StatsView,
  ) {
    const n = list.length;
    this.positions = new Int32Array(n);
    // NaN until read: an unread in-flight count fails no max_parallel_requests check (NaN >= limit is false).
    this.inFlights = new Float64Array(n).fill(Number.NaN);
    this.rpms = new Float64Array(n);
    this.tpms = new Float64Array(n);
    this.scores = new Float64Array(n);
    this.ties = new Int32Array(n);
    this.listLatencies = new Float64Array(n);
  }

  /** A set over constructed candidates, for `RoutingStrategy.pick` (tests, custom callers). */
  static of(candidates: readonly Candidate[]): CandidateSet {
    const n = candidates.length;
    const set = new CandidateSet(
      candidates.map((c) => c.deployment),
      new SnapshotView(candidates.map((c) => c.stats)),
    );
    for (let k = 0; k < n; k++) {
      const stats = candidates[k]!.stats;
      set.positions[k] = k;
      set.inFlights[k] = stats.inFlight;
      set.rpms[k] = stats.rpm;
      set.tpms[k] = stats.tpm;
    }
    set.size = n;
    set.whole = true;
    return set;
  }

  deployment(k: number): ResolvedDeployment {
    return this.list[this.positions[k]!]!;
  }
  /** Candidate k's in flight, counting this router's picks not yet begun (not current unless the strategy declares `readsInFlight`). */
  inFlight(k: number): number {
    return this.inFlights[this.positions[k]!]!;
  }
  /** Candidate k's requests this minute, counting this router's picks not yet begun. */
  rpm(k: number): number {
    return this.rpms[this.positions[k]!]!;
  }
  tpm(k: number): number {
    return this.tpms[this.positions[k]!]!;
  }
  /**
   * Time to first token for streams, latency per token for unary calls
   * (NaN when unmeasured), of every deployment of the list, indexed by list position
   * (candidate k is at positions[k]): one bulk read from the view for a
   * strategy that weighs every candidate's latency. Valid for this pick.
   */
  latencies(streaming: boolean): Float64Array {
    this.view.readLatencies(streaming, this.listLatencies);
    return this.listLatencies;
  }
}

/**
 * Uniform choice among the candidates sharing the lowest score, scores
 * read by list position (`byPosition[positions[k]]`): spreads ties instead
 * of always hitting the first. Returns the candidate index. One pass,
 * noting tied indices in `ties` (scratch, at least n long); when no score
 * compares (all NaN), uniform over all.
 */
export function lowestAt(byPosition: Float64Array, positions: Int32Array, n: number, random: () => number, ties: Int32Array): number {
  let best = Infinity;
  let tied = 0;
  for (let k = 0; k < n; k++) {
    const s = byPosition[positions[k]!]!;
    if (s < best) {
      best = s;
      ties[0] = k;
      tied = 1;
    } else if (s === best) {
      ties[tied++] = k;
    }
  }
  if (tied === 0) return Math.floor(random() * n);
  return ties[Math.floor(random() * tied)]!;
}

/**
 * Numbers a strategy derives from a deployment list's config, computed on
 * the list's first pick and kept with it (lists are cached by the router,
 * so this is once per group, call type and tag set).
 */
export class PerList<T> {
  private readonly lists = new WeakMap<readonly ResolvedDeployment[], T>();

  constructor(private readonly build: (deployments: readonly ResolvedDeployment[]) => T) {}

  of(deployments: readonly ResolvedDeployment[]): T {
    let value = this.lists.get(deployments);
    if (value === undefined) {
      value = this.build(deployments);
      this.lists.set(deployments, value);
    }
    return value;
  }
}

/** `pick` in terms of `choose`, for the built-in strategies. */
export function pickByChoose(strategy: IndexedStrategy, candidates: readonly Candidate[], request: PickRequest): ResolvedDeployment {
  return candidates[strategy.choose(CandidateSet.of(candidates), request)]!.deployment;
}

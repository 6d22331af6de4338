import type { ResolvedDeployment } from "../../config/resolve.js";
import type { Random } from "../../util/random.js";
import { PerList, pickByChoose, type Candidate, type CandidateSet, type IndexedStrategy, type PickRequest } from "../strategy.js";

/**
 * Random choice weighted by `weight`; when no candidate sets a weight, by
 * its rpm limit, else its tpm limit (a bigger quota takes a bigger share);
 * uniform when none of those are set. A candidate lacking the chosen field
 * counts as the average of those that have it.
 *
 * Per request over groups of up to thousands of deployments: the weight
 * fields are read once per deployment list, and when every deployment is
 * a candidate the roll is a binary search over the list's cumulative
 * weights; otherwise one pass sums the candidates' weights and one finds
 * the roll.
 */
export class SimpleShuffle implements IndexedStrategy {
  readonly name = "simple-shuffle";
  private readonly lists = new PerList((deployments) => new ListWeights(deployments));

  constructor(private readonly random: Random) {}

  pick(candidates: readonly Candidate[], request: PickRequest): ResolvedDeployment {
    return pickByChoose(this, candidates, request);
  }

  choose(set: CandidateSet): number {
    const n = set.size;
    if (n === 1) return 0;
    const list = this.lists.of(set.list);
    if (set.whole) {
      const cumulative = list.wholeCumulative();
      const total = cumulative[n - 1]!;
      if (!(total > 0)) return Math.floor(this.random() * n);
      return firstAbove(cumulative, this.random() * total);
    }
    const weights = weightsAt(list, set.positions, n, set.scores);
    let total = 0;
    for (let k = 0; k < n; k++) total += weights[k]!;
    if (!(total > 0)) return Math.floor(this.random() * n);
    const roll = this.random() * total;
    let reached = 0;
    for (let k = 0; k < n; k++) {
      reached += weights[k]!;
      if (roll < reached) return k;
    }
    return n - 1;
  }
}

/** The weight fields, in the order the rule tries them. */
const SOURCES: ReadonlyArray<(d: ResolvedDeployment) => number | undefined> = [(d) => d.config.weight, (d) => d.rpmLimit, (d) => d.tpmLimit];

/** A deployment list's weight fields, read once: one array per source, NaN where unset. */
class ListWeights {
  readonly fields: Float64Array[];
  private cumulative?: Float64Array;

  constructor(private readonly deployments: readonly ResolvedDeployment[]) {
    this.fields = SOURCES.map((source) => Float64Array.from(deployments, (d) => source(d) ?? Number.NaN));
  }

  /** Cumulative weights when every deployment is a candidate (the list never changes, so neither do they). */
  wholeCumulative(): Float64Array {
    if (!this.cumulative) {
      const n = this.deployments.length;
      const weights = weightsAt(this, Int32Array.from(this.deployments, (_, i) => i), n, new Float64Array(n));
      this.cumulative = new Float64Array(n);
      let reached = 0;
      for (let i = 0; i < weights.length; i++) this.cumulative[i] = reached += weights[i]!;
    }
    return this.cumulative;
  }
}

/** The weights under the rule of the deployments at positions[0..n) of a list, written into `out`. */
function weightsAt(list: ListWeights, positions: Int32Array, n: number, out: Float64Array): Float64Array {
  for (const field of list.fields) {
    let sum = 0;
    let known = 0;
    for (let k = 0; k < n; k++) {
      const v = field[positions[k]!]!;
      if (!Number.isNaN(v)) {
        sum += v;
        known++;
      }
    }
    if (known === 0) continue;
    const average = sum / known;
    for (let k = 0; k < n; k++) {
      const v = field[positions[k]!]!;
      out[k] = Number.isNaN(v) ? average : v;
    }
    return out;
  }
  return out.fill(1, 0, n);
}

/** Index of the first cumulative weight above `roll` (binary search), or the last. */
function firstAbove(cumulative: Float64Array, roll: number): number {
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cumulative[mid]! > roll) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Each deployment's share under simple-shuffle's rule (weight, else rpm, else tpm, else equal). */
export function shuffleWeights(deployments: readonly ResolvedDeployment[]): number[] {
  const n = deployments.length;
  const positions = Int32Array.from(deployments, (_, i) => i);
  return [...weightsAt(new ListWeights(deployments), positions, n, new Float64Array(n))];
}

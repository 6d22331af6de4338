import { describe, expect, it } from "vitest";
import type { ResolvedDeployment } from "../../src/config/resolve.js";
import { GatewayError } from "../../src/errors/gateway-error.js";
import { eligibleDeployments, type Eligible } from "../../src/router/eligibility.js";
import { expectedCostUsd } from "../../src/router/strategies/cost-based.js";
import { shuffleWeights } from "../../src/router/strategies/simple-shuffle.js";
import { MemoryStateStore } from "../../src/router/state/memory-store.js";
import { allocateSharedStateMemory, SharedMemoryStateStore } from "../../src/router/state/shared-memory-store.js";
import type { DeploymentStateStore, DeploymentStats, Lease } from "../../src/router/state/state-store.js";
import type { Candidate, PickRequest } from "../../src/router/strategy.js";
import { seededRandom, type Random } from "../../src/util/random.js";
import { FakeClock } from "../support/fake-clock.js";
import { mockDeployment, routerFor } from "./support.js";

/**
 * The router picks in place over the store's StatsView (src/router/
 * selection.ts) for speed at thousands of deployments. These checks hold
 * it to a naive reference, the selection as first written: a stats Map
 * with this router's pending picks folded in, eligibleDeployments,
 * exclusions as array filters, and each strategy over Candidate objects,
 * on random groups and random live state, with the same dice. Any change
 * of choice, of error, or of how many random numbers a pick draws shows.
 */

const STRATEGIES = ["simple-shuffle", "least-busy", "usage-based", "latency-based", "cost-based"] as const;
type StrategyName = (typeof STRATEGIES)[number];
const BUFFER_RATIO = 0.1;

/** The strategies as first written: arrays, closures and Math.min over Candidate objects. */
function referencePick(name: StrategyName, candidates: readonly Candidate[], request: PickRequest, random: Random): ResolvedDeployment {
  const pickLowest = (list: readonly Candidate[], score: (c: Candidate) => number) => {
    let best = Infinity;
    let tied: Candidate[] = [];
    for (const c of list) {
      const s = score(c);
      if (s < best) {
        best = s;
        tied = [c];
      } else if (s === best) tied.push(c);
    }
    if (tied.length === 0) tied = [...list];
    return tied[Math.floor(random() * tied.length)]!.deployment;
  };
  switch (name) {
    case "simple-shuffle": {
      if (candidates.length === 1) return candidates[0]!.deployment;
      const weights = shuffleWeights(candidates.map((c) => c.deployment));
      const total = weights.reduce((a, b) => a + b, 0);
      if (total <= 0) return candidates[Math.floor(random() * candidates.length)]!.deployment;
      let roll = random() * total;
      for (let k = 0; k < candidates.length; k++) {
        roll -= weights[k]!;
        if (roll < 0) return candidates[k]!.deployment;
      }
      return candidates[candidates.length - 1]!.deployment;
    }
    case "least-busy":
      return pickLowest(candidates, (c) => c.stats.inFlight);
    case "cost-based":
      return pickLowest(candidates, (c) => expectedCostUsd(c.deployment, request));
    case "usage-based": {
      const tokens = request.promptTokens + request.completionTokens;
      const share = (c: Candidate) =>
        Math.max(c.deployment.rpmLimit ? (c.stats.rpm + 1) / c.deployment.rpmLimit : 0, c.deployment.tpmLimit ? (c.stats.tpm + tokens) / c.deployment.tpmLimit : 0);
      const lowest = Math.min(...candidates.map(share));
      return pickLowest(
        candidates.filter((c) => share(c) === lowest),
        (c) => c.stats.tpm,
      );
    }
    case "latency-based": {
      const latency = (c: Candidate) => (request.streaming ? c.stats.ttftMs : c.stats.latencyPerTokenMs);
      const unmeasured = candidates.filter((c) => latency(c) === undefined);
      if (unmeasured.length > 0) return unmeasured[Math.floor(random() * unmeasured.length)]!.deployment;
      const fastest = Math.min(...candidates.map((c) => latency(c)!));
      const near = candidates.filter((c) => latency(c)! <= fastest * (1 + BUFFER_RATIO));
      return near[Math.floor(random() * near.length)]!.deployment;
    }
  }
}

/** The router's choose() as first written, for one pick with no trial lost. */
function referenceChoose(
  group: string,
  deployments: readonly ResolvedDeployment[],
  stats: Map<string, DeploymentStats>,
  pending: ReadonlyMap<string, number>,
  nowMs: number,
  pick: PickRequest,
  failedHere: ReadonlySet<string>,
  exclude: ReadonlySet<string>,
  preferred: ResolvedDeployment | undefined,
  strategy: StrategyName,
  random: Random,
): Eligible {
  for (const [id, n] of pending) {
    const s = stats.get(id);
    if (s) stats.set(id, { ...s, inFlight: s.inFlight + n, rpm: s.rpm + n });
  }
  let eligible = eligibleDeployments({ group, deployments, stats, nowMs, promptTokens: pick.promptTokens });
  if (exclude.size > 0) {
    eligible = eligible.filter((e) => !exclude.has(e.deployment.id));
    if (eligible.length === 0) throw new GatewayError(0 as never, `no other deployment of "${group}" is available`);
  }
  if (failedHere.size > 0) {
    const fresh = eligible.filter((e) => !failedHere.has(e.deployment.id));
    if (fresh.length > 0) eligible = fresh;
  }
  const sticky = preferred && eligible.find((e) => e.deployment === preferred && !e.trial && !failedHere.has(preferred.id));
  if (sticky) return sticky;
  const chosen = referencePick(strategy, eligible, pick, random);
  return eligible.find((e) => e.deployment === chosen)!;
}

/** The router's private selection step, reached the way the bench reaches it. */
interface Chooser {
  choose(
    group: string,
    deployments: readonly ResolvedDeployment[],
    pick: PickRequest,
    failedHere: ReadonlySet<string>,
    preferred?: ResolvedDeployment,
    exclude?: ReadonlySet<string>,
  ): Promise<Eligible>;
  adjustPending(id: string, delta: number): void;
}

/** A random group: some deployments with limits, weights, prices and context windows, some without. */
function randomGroup(dice: Random, size: number) {
  const maybe = (p: number, value: () => number) => (dice() < p ? value() : undefined);
  return Array.from({ length: size }, (_, i) =>
    mockDeployment("g", `d${i}`, {}, {
      rpm: maybe(0.5, () => 3 + Math.floor(dice() * 10)),
      tpm: maybe(0.4, () => 200 + Math.floor(dice() * 2000)),
      max_parallel_requests: maybe(0.3, () => 1 + Math.floor(dice() * 3)),
      weight: maybe(0.2, () => [0.5, 1, 2, 3][Math.floor(dice() * 4)]),
      max_input_tokens: maybe(0.2, () => [100, 1_000, 100_000][Math.floor(dice() * 3)]),
      // A few distinct prices, so cost-based sees both a cheapest one and ties.
      input_cost_per_token: [0.000001, 0.000002, 0.000003][Math.floor(dice() * 3)],
      output_cost_per_token: [0.000002, 0.000004][Math.floor(dice() * 2)],
    }),
  );
}

type StoreKind = "memory" | "shared-memory" | "no view (stats only, as Redis)";

function storeFor(kind: StoreKind, ids: readonly string[], clock: FakeClock): DeploymentStateStore {
  if (kind === "memory") return new MemoryStateStore(clock);
  if (kind === "shared-memory") return new SharedMemoryStateStore(allocateSharedStateMemory(ids, 2), 0, clock);
  // The memory store without its view: selection then reads `stats` once per pick, as it does for Redis.
  const inner = new MemoryStateStore(clock);
  return {
    shared: false,
    stats: (list) => inner.stats(list),
    begin: (id) => inner.begin(id),
    tryBegin: (id, caps) => inner.tryBegin(id, caps),
    recordFailure: (id, error, windowMs) => inner.recordFailure(id, error, windowMs),
    coolDown: (id, until, error) => inner.coolDown(id, until, error),
    tryBeginTrial: (id, ttl) => inner.tryBeginTrial(id, ttl),
    recover: (id) => inner.recover(id),
    setHealth: (id, healthy, error) => inner.setHealth(id, healthy, error),
    setDrained: (id, drained) => inner.setDrained(id, drained),
    close: () => inner.close(),
  };
}

/** Random live state: calls running and finished (with latency samples), cooldowns, trials, health, drains, minutes passing. */
async function stir(store: DeploymentStateStore, ids: readonly string[], clock: FakeClock, dice: Random, open: Lease[]): Promise<void> {
  const id = () => ids[Math.floor(dice() * ids.length)]!;
  for (let i = 0; i < 6; i++) {
    const roll = dice();
    if (roll < 0.3) open.push(await store.begin(id()));
    else if (roll < 0.5 && open.length > 0) {
      const lease = open.splice(Math.floor(dice() * open.length), 1)[0]!;
      await lease.end(dice() < 0.8 ? { totalTokens: Math.floor(dice() * 300), latencyPerTokenMs: 5 + Math.floor(dice() * 4) * 5, ttftMs: dice() < 0.7 ? 100 + Math.floor(dice() * 3) * 50 : undefined } : undefined);
    } else if (roll < 0.57) await store.coolDown(id(), clock.now() + Math.floor(dice() * 5_000), "UPSTREAM_UNAVAILABLE: down");
    else if (roll < 0.62) await store.tryBeginTrial(id(), Math.floor(dice() * 3_000));
    else if (roll < 0.67) await store.recover(id());
    else if (roll < 0.71) await store.setHealth(id(), dice() < 0.6, "health check failed");
    else if (roll < 0.74) await store.setDrained(id(), dice() < 0.5);
    else if (roll < 0.9) await clock.advance(Math.floor(dice() * 2_000));
    else await clock.advance(Math.floor(dice() * 40_000)); // sometimes into the next minute: rpm/tpm windows roll
  }
}

function outcome(run: () => Eligible): string {
  try {
    const e = run();
    return `${e.deployment.id}${e.trial ? " (trial)" : ""}`;
  } catch (err) {
    if (err instanceof GatewayError) return `error: ${err.message}`;
    throw err;
  }
}

async function outcomeAsync(run: () => Promise<Eligible>): Promise<string> {
  try {
    const e = await run();
    return `${e.deployment.id}${e.trial ? " (trial)" : ""}`;
  } catch (err) {
    if (err instanceof GatewayError) return `error: ${err.message}`;
    throw err;
  }
}

describe("selection in place", () => {
  for (const kind of ["memory", "shared-memory", "no view (stats only, as Redis)"] as const) {
    for (const strategy of STRATEGIES) {
      it(`chooses exactly as the naive reference: ${strategy}, ${kind} store, 40 random groups × 25 picks`, async () => {
        let compared = 0;
        const seen = new Set<string>();
        for (let scenario = 0; scenario < 40; scenario++) {
          const dice = seededRandom(1_000 * scenario + STRATEGIES.indexOf(strategy));
          const size = 1 + Math.floor(dice() * (scenario < 20 ? 6 : 40));
          const clock = new FakeClock(1_700_000_000_000 + Math.floor(dice() * 60_000));
          const model_list = randomGroup(dice, size);
          const ids = model_list.map((d) => d.id);
          const store = storeFor(kind, ids, clock);
          const diceSeed = 77 + scenario;
          const t = routerFor({ model_list, router_settings: { routing_strategy: strategy, latency_buffer_ratio: BUFFER_RATIO } }, { clock, store, seed: diceSeed });
          const reference = seededRandom(diceSeed); // the same dice, drawn in lockstep with the router's
          const chooser = t.router as unknown as Chooser;
          const deployments = t.config.groups.get("g")!;
          const pending = new Map<string, number>();
          const open: Lease[] = [];
          for (let pickNo = 0; pickNo < 25; pickNo++) {
            await stir(store, ids, clock, dice, open);
            // This router's picks not yet begun in the store.
            if (dice() < 0.3) {
              const id = ids[Math.floor(dice() * ids.length)]!;
              const delta = dice() < 0.7 ? 1 : -1;
              chooser.adjustPending(id, delta);
              const next = (pending.get(id) ?? 0) + delta;
              if (next > 0) pending.set(id, next);
              else pending.delete(id);
            }
            const subset = (p: number) => new Set(ids.filter(() => dice() < p));
            const failedHere = dice() < 0.3 ? subset(0.3) : new Set<string>();
            const exclude = dice() < 0.2 ? subset(0.3) : new Set<string>();
            const preferred = dice() < 0.2 ? deployments[Math.floor(dice() * deployments.length)] : undefined;
            const pick: PickRequest = { streaming: dice() < 0.4, promptTokens: [0, 50, 500, 5_000][Math.floor(dice() * 4)]!, completionTokens: Math.floor(dice() * 400) };

            const stats = await store.stats(ids);
            const expected = outcome(() =>
              referenceChoose("g", deployments, stats, pending, clock.now(), pick, failedHere, exclude, preferred, strategy, reference),
            );
            let taken: Eligible | undefined;
            const actual = await outcomeAsync(async () => (taken = await chooser.choose("g", deployments, pick, failedHere, preferred, exclude.size > 0 ? exclude : undefined)));
            expect(actual, `scenario ${scenario}, pick ${pickNo}`).toBe(expected);
            compared++;
            seen.add(expected.startsWith("error") ? "error" : expected.endsWith("(trial)") ? "trial" : "pick");
            // The router counted its pick as pending (and a trial took the slot); undo the count so the next pick starts
            // level. A pick under max_parallel_requests was begun instead (its lease): it stays running, as stirred calls do.
            if (taken?.lease) open.push(taken.lease);
            else if (taken) chooser.adjustPending(taken.deployment.id, -1);
          }
          for (const lease of open) await lease.end();
          await t.router.close();
        }
        expect(compared).toBe(1_000);
        // The random states reached every kind of outcome, so the comparison covered them all.
        expect([...seen].sort()).toEqual(["error", "pick", "trial"]);
      });
    }
  }
});

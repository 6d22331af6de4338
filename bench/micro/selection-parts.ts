/**
 * Where a pick's time goes at 1,000 deployments: the bulk counter read,
 * the candidate scan, and the whole pick, over the in-memory store.
 * `npx tsx bench/micro/selection-parts.ts` (a working aid for bench/selection.ts).
 */
import { parseConfig } from "../../src/config/load.js";
import { resolveConfig } from "../../src/config/resolve.js";
import { builtinProviders } from "../../src/providers/registry.js";
import { MemoryStateStore } from "../../src/router/state/memory-store.js";
import { allocateSharedStateMemory, SharedMemoryStateStore } from "../../src/router/state/shared-memory-store.js";
import { Selector } from "../../src/router/selection.js";
import { systemClock } from "../../src/util/clock.js";

const size = Number(process.env.SIZE ?? 1000);
const providers = builtinProviders();
const raw = JSON.stringify({
  model_list: Array.from({ length: size }, (_, i) => ({ model_name: "g", id: `d${i}`, provider: "mock", params: { model: "mock-1" }, rpm: 100_000 + i, tpm: 10_000_000 })),
});
const config = resolveConfig(parseConfig(raw, "bench", { providers }), providers);
const deployments = config.groups.get("g")!;

function time(label: string, n: number, body: () => void): void {
  for (let i = 0; i < 2000; i++) body();
  const start = performance.now();
  for (let i = 0; i < n; i++) body();
  console.log(`${label}: ${(((performance.now() - start) * 1000) / n).toFixed(2)} µs`);
}

for (const kind of ["memory", "shared-memory"]) {
  const store = kind === "memory" ? new MemoryStateStore(systemClock) : new SharedMemoryStateStore(allocateSharedStateMemory(deployments.map((d) => d.id), 2), 0, systemClock);
  for (const d of deployments) await (await store.begin(d.id)).end({ totalTokens: 100, latencyPerTokenMs: 10, ttftMs: 200 });
  const selector = new Selector(store);
  const list = selector.list(deployments);
  const view = list.view!;
  const none = new Set<string>();
  const now = Date.now();
  view.at(now);
  console.log(`\n${kind} store, ${size} deployments`);
  time("readCounters", 50_000, () => view.readCounters(list.set.rpms, list.set.tpms, undefined));
  time("readCounters with in flight", 50_000, () => view.readCounters(list.set.rpms, list.set.tpms, list.set.inFlights));
  time("candidates", 50_000, () => void selector.candidates(list, view, "g", now, 500, none, undefined, undefined, false));
  time("candidates reading in flight", 50_000, () => void selector.candidates(list, view, "g", now, 500, none, undefined, undefined, true));
}

// The strategies alone, over the whole list as candidates (memory store).
{
  const { UsageBased } = await import("../../src/router/strategies/usage-based.js");
  const { LatencyBased } = await import("../../src/router/strategies/latency-based.js");
  const { LeastBusy } = await import("../../src/router/strategies/least-busy.js");
  const { CostBased } = await import("../../src/router/strategies/cost-based.js");
  const { seededRandom } = await import("../../src/util/random.js");
  const store = new MemoryStateStore(systemClock);
  const dice = seededRandom(2);
  for (const d of deployments) await (await store.begin(d.id)).end({ totalTokens: Math.floor(dice() * 1000), latencyPerTokenMs: 5 + dice() * 20, ttftMs: 200 });
  const selector = new Selector(store);
  const list = selector.list(deployments);
  const set = selector.candidates(list, list.view!, "g", Date.now(), 500, new Set(), undefined, undefined, true);
  const pick = { streaming: false, promptTokens: 500, completionTokens: 256 };
  console.log(`\nstrategies alone, ${set.size} candidates`);
  for (const strategy of [new UsageBased(seededRandom(1)), new LatencyBased(seededRandom(1), 0.1), new LeastBusy(seededRandom(1)), new CostBased(seededRandom(1))]) {
    time(strategy.name, 50_000, () => void strategy.choose(set, pick));
  }
}

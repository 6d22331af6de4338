/**
 * Tail latency with and without hedging: `npx tsx bench/hedging-p99.ts [calls]`
 * (npm run bench:hedging).
 *
 * Two mock deployments answer in 20 ms, except 5 % of calls (each
 * deployment's own seeded dice) which take 2 s. Calls run one after the
 * other on a fake clock, so the figures are the router's behaviour, not
 * this machine's load: p50/p99/max latency without hedging and with
 * `hedge: { after_ms: 100 }`.
 */
import { create } from "@bufbuild/protobuf";
import { CompletionRequestSchema } from "../gen/ts/switchyard/v1/inference_pb.js";
import { parseConfig } from "../src/config/load.js";
import { resolveConfig } from "../src/config/resolve.js";
import { builtinProviders } from "../src/providers/registry.js";
import { newRequestContext } from "../src/router/request-context.js";
import { DeploymentRuntime } from "../src/router/deployment-runtime.js";
import { Router } from "../src/router/router.js";
import { seededRandom } from "../src/util/random.js";
import { FakeClock } from "../test/support/fake-clock.js";

const CALLS = Number(process.argv[2] ?? 1_000);
const STEP_MS = 5;

async function latencies(hedge: boolean): Promise<number[]> {
  const clock = new FakeClock();
  const providers = builtinProviders();
  const mock = { latency_ms: 20, slow_rate: 0.05, slow_latency_ms: 2_000 };
  const text = JSON.stringify({
    model_list: ["a", "b"].map((id) => ({ model_name: "chat", id, provider: "mock", params: { model: "mock-1", mock } })),
    router_settings: { model_group_settings: hedge ? [{ model: "chat", hedge: { after_ms: 100 } }] : [] },
  });
  const router = new Router(new DeploymentRuntime(resolveConfig(parseConfig(text, "bench", { providers }), providers), providers, { clock }), { clock, random: seededRandom(3) });
  const out: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    const start = clock.now();
    let end: number | undefined;
    const request = create(CompletionRequestSchema, { model: "chat", messages: [{ role: "user", content: `q${i}` }] });
    void router.complete(request, newRequestContext(new AbortController().signal)).then(() => (end = clock.now()));
    await clock.advance(0);
    while (end === undefined) await clock.advance(STEP_MS);
    out.push(end - start);
  }
  await router.close();
  return out.sort((x, y) => x - y);
}

const at = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
console.log(`| ${CALLS} calls, 5 % of upstream calls slow (2 s) | p50 | p99 | max |`);
console.log("|---|---:|---:|---:|");
for (const hedge of [false, true]) {
  const l = await latencies(hedge);
  console.log(`| ${hedge ? "hedge after 100 ms" : "no hedging"} | ${at(l, 50)} ms | ${at(l, 99)} ms | ${l.at(-1)} ms |`);
}

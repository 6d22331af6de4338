/**
 * Provider-side prompt-cache hit rate with and without cache affinity:
 * `npx tsx bench/affinity-hit-rate.ts` (npm run bench:affinity).
 *
 * 200 conversations of 10 turns each, interleaved, over a group of 3 mock
 * deployments. A deployment is counted as holding a conversation's prompt
 * prefix in its cache once it has served a turn of it (an idealised
 * provider cache that never evicts); a turn is a hit when it lands on a
 * deployment holding its prefix. The mock upstream does not report cached
 * tokens itself, so the cache is modelled here from where each turn went.
 * Two figures: the stable prefix (system prompt + opening question) is a
 * hit on any deployment that served an earlier turn; the whole history
 * (everything before this turn) only where the previous turn went.
 */
import { create } from "@bufbuild/protobuf";
import { CompletionRequestSchema } from "../gen/ts/switchyard/v1/inference_pb.js";
import { parseConfig } from "../src/config/load.js";
import { resolveConfig } from "../src/config/resolve.js";
import { builtinProviders } from "../src/providers/registry.js";
import { newRequestContext } from "../src/router/request-context.js";
import { DeploymentRuntime } from "../src/router/deployment-runtime.js";
import { Router } from "../src/router/router.js";
import { systemClock } from "../src/util/clock.js";
import { seededRandom } from "../src/util/random.js";

const SESSIONS = 200;
const TURNS = 10;

async function hitRate(affinity: boolean): Promise<{ prefix: number; history: number }> {
  const providers = builtinProviders();
  const text = JSON.stringify({
    model_list: ["a", "b", "c"].map((id) => ({ model_name: "chat", id, provider: "mock", params: { model: "mock-1" } })),
    router_settings: { model_group_settings: affinity ? [{ model: "chat", affinity: { enabled: true, prefix_messages: 1 } }] : [] },
  });
  const router = new Router(new DeploymentRuntime(resolveConfig(parseConfig(text, "bench", { providers }), providers), providers, { clock: systemClock }), { random: seededRandom(1) });
  const cached = new Map<string, Set<number>>();
  const lastServedBy = new Map<number, string>();
  let hits = 0;
  let historyHits = 0;
  let turns = 0;
  for (let turn = 1; turn <= TURNS; turn++) {
    for (let session = 0; session < SESSIONS; session++) {
      const messages = [
        { role: "system", content: `A long shared system prompt for tenant ${session % 7}, conversation ${session}.` },
        { role: "user", content: `conversation ${session}, opening question` },
      ];
      for (let t = 1; t < turn; t++) messages.push({ role: "assistant", content: `answer ${t}` }, { role: "user", content: `follow-up ${t}` });
      const answer = await router.complete(create(CompletionRequestSchema, { model: "chat", messages }), newRequestContext(new AbortController().signal));
      const seen = cached.get(answer.deploymentId) ?? new Set<number>();
      cached.set(answer.deploymentId, seen);
      if (turn > 1) {
        turns++;
        if (seen.has(session)) hits++;
        if (lastServedBy.get(session) === answer.deploymentId) historyHits++;
      }
      seen.add(session);
      lastServedBy.set(session, answer.deploymentId);
    }
  }
  await router.close();
  return { prefix: hits / turns, history: historyHits / turns };
}

const shuffle = await hitRate(false);
const sticky = await hitRate(true);
const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
console.log("| routing | stable-prefix hit rate | whole-history hit rate |");
console.log("|---|---:|---:|");
console.log(`| simple-shuffle | ${pct(shuffle.prefix)} | ${pct(shuffle.history)} |`);
console.log(`| simple-shuffle + affinity | ${pct(sticky.prefix)} | ${pct(sticky.history)} |`);

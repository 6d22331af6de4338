/**
 * Provider-side prompt-cache hit rate with and without cache affinity:
 * `npx tsx bench/affinity-hit-rate.ts` (npm run bench:affinity).
 *
 * 200 conversations of 10 turns each, interleaved, over a group of 3 mock
 * deployments that model a provider prompt cache (mock `prompt_cache`:
 * each reports, as usage.cached_prompt_tokens, the longest message prefix
 * it has served before). Two figures from what the upstreams report, over
 * turns 2 to 10: the turns that hit a cache at all (at least the system
 * prompt and opening question cached), and the share of all prompt tokens
 * served from cache (the whole history cached only where the previous
 * turn went).
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

async function hitRate(affinity: boolean): Promise<{ turns: number; tokens: number }> {
  const providers = builtinProviders();
  const text = JSON.stringify({
    model_list: ["a", "b", "c"].map((id) => ({ model_name: "chat", id, provider: "mock", params: { model: "mock-1", mock: { prompt_cache: true } } })),
    router_settings: { model_group_settings: affinity ? [{ model: "chat", affinity: { enabled: true, prefix_messages: 1 } }] : [] },
  });
  const router = new Router(new DeploymentRuntime(resolveConfig(parseConfig(text, "bench", { providers }), providers), providers, { clock: systemClock }), { random: seededRandom(1) });
  let turnsHit = 0;
  let turns = 0;
  let cachedTokens = 0;
  let promptTokens = 0;
  for (let turn = 1; turn <= TURNS; turn++) {
    for (let session = 0; session < SESSIONS; session++) {
      const messages = [
        { role: "system", content: `A long shared system prompt for tenant ${session % 7}, conversation ${session}.` },
        { role: "user", content: `conversation ${session}, opening question` },
      ];
      for (let t = 1; t < turn; t++) messages.push({ role: "assistant", content: `answer ${t}` }, { role: "user", content: `follow-up ${t}` });
      const answer = await router.complete(create(CompletionRequestSchema, { model: "chat", messages }), newRequestContext(new AbortController().signal));
      if (turn === 1) continue; // nothing of a new conversation can be cached anywhere yet
      const usage = answer.usage!;
      turns++;
      if (usage.cachedPromptTokens > 0) turnsHit++;
      cachedTokens += usage.cachedPromptTokens;
      promptTokens += usage.promptTokens;
    }
  }
  await router.close();
  return { turns: turnsHit / turns, tokens: cachedTokens / promptTokens };
}

const shuffle = await hitRate(false);
const sticky = await hitRate(true);
const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
console.log("| routing (cached tokens as the mock upstreams report them) | turns with a cache hit | prompt tokens from cache |");
console.log("|---|---:|---:|");
console.log(`| simple-shuffle | ${pct(shuffle.turns)} | ${pct(shuffle.tokens)} |`);
console.log(`| simple-shuffle + affinity | ${pct(sticky.turns)} | ${pct(sticky.tokens)} |`);

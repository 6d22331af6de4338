/**
 * Micro-benchmark. CachedBackend.complete (named CachingRouter before issue 13) on a miss (fake inner router, memory layer): µs of CPU per call, our cache code only.
 * Takes a checkout's root, so two checkouts compare in one sitting:
 *   npx tsx bench/micro/caching-router-miss.ts /tmp/base && npx tsx bench/micro/caching-router-miss.ts "$PWD"
 * (run from this repo's root so packages resolve; alternate a few times: the machine is shared).
 */
import { create, fromJson } from "@bufbuild/protobuf";
const root = process.argv[2];
const pb = await import(`${root}/gen/ts/switchyard/v1/inference_pb.js`);
// Checkouts from before issue 13 name the class CachingRouter, in caching-router.js.
const cacheModule = await import(`${root}/src/cache/cached-backend.js`).catch(() => import(`${root}/src/cache/caching-router.js`));
const CachedBackend = cacheModule.CachedBackend ?? cacheModule.CachingRouter;
const { TieredCache } = await import(`${root}/src/cache/tiered-cache.js`);
const { MemoryLayer } = await import(`${root}/src/cache/layers/memory.js`);
const { CacheKeys } = await import(`${root}/src/cache/key.js`);
const clock = { now: () => Date.now() };
const layer = new MemoryLayer({ maxEntries: 1000, maxBytes: 1e8, clock });
const cache = new TieredCache([{ layer, timeoutMs: 1000 }], clock, { warn() {} });
const answer = () => fromJson(pb.ModelResponseSchema, { id: "x", model: "m", choices: [{ index: 0, message: { role: "assistant", content: "Hello there, this is a short answer of a few words." }, finishReason: "FINISH_REASON_STOP" }], usage: { promptTokens: 10, completionTokens: 12, totalTokens: 22 }, costUsd: 0.001, attempts: [{ deploymentId: "d", provider: "openai", latencyMs: 10 }], timings: { firstTokenMs: 10, completedMs: 11 } } as never);
const inner = { complete: async () => answer() };
const router = new CachedBackend(inner, cache, new CacheKeys(""), { callTypes: new Set(["completion"]), defaultTtlS: 60 });
const ctx = () => ({ signal: new AbortController().signal, startedAt: performance.now(), receivedAtMs: Date.now() });
let n = 0;
const req = () => fromJson(pb.CompletionRequestSchema, { model: "bench", messages: [{ role: "user", content: `Say hello ${n++}` }], maxTokens: 64 } as never);
for (let i = 0; i < 20000; i++) await router.complete(req(), ctx());
const N = 50000; const reqs = Array.from({ length: N }, req); const ctxs = Array.from({ length: N }, ctx);
const t = process.cpuUsage();
for (let i = 0; i < N; i++) await router.complete(reqs[i], ctxs[i]);
const u = process.cpuUsage(t);
console.log(root, ((u.user + u.system) / N).toFixed(2), "µs/miss");

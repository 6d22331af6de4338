/**
 * Micro-benchmark. Completion cache key: µs of CPU per key for one bench-shaped request.
 * Takes a checkout's root, so two checkouts compare in one sitting:
 *   npx tsx bench/micro/cache-key.ts /tmp/base && npx tsx bench/micro/cache-key.ts "$PWD"
 * (run from this repo's root so packages resolve; alternate a few times: the machine is shared).
 */
import { fromJson } from "@bufbuild/protobuf";
const root = process.argv[2];
const { CompletionRequestSchema } = await import(`${root}/gen/ts/switchyard/v1/inference_pb.js`);
const { CacheKeys } = await import(`${root}/src/cache/key.js`);
const keys = new CacheKeys("");
const req = fromJson(CompletionRequestSchema, { model: "bench", messages: [{ role: "user", content: "Say hello in one short sentence." }], maxTokens: 64, options: { cache: { ttlS: 60 } } } as never);
for (let i = 0; i < 20000; i++) keys.completion(req, "default");
const t = process.cpuUsage(); const N = 100000;
for (let i = 0; i < N; i++) keys.completion(req, "default");
const u = process.cpuUsage(t);
console.log(root, ((u.user + u.system) / N).toFixed(2), "µs/key");

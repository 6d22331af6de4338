/**
 * Micro-benchmark. InferenceService.streamComplete over a fake 9-chunk backend stream: µs of CPU per stream through the service layer.
 * Takes a checkout's root, so two checkouts compare in one sitting:
 *   npx tsx bench/micro/service-stream.ts /tmp/base && npx tsx bench/micro/service-stream.ts "$PWD"
 * (run from this repo's root so packages resolve; alternate a few times: the machine is shared).
 */
import { create } from "@bufbuild/protobuf";
const root = process.argv[2];
const pb = await import(`${root}/gen/ts/switchyard/v1/inference_pb.js`);
const { inferenceService } = await import(`${root}/src/server/inference-service.js`);
const chunk = create(pb.ModelResponseChunkSchema, { id: "c" });
const router = { async *stream() { for (let i = 0; i < 9; i++) yield chunk; } };
const svc = inferenceService(router as never);
const req = create(pb.CompletionRequestSchema, { model: "m", messages: [{ role: "user", content: "hi" }] });
const context = { signal: new AbortController().signal };
async function once() { for await (const _ of svc.streamComplete(req, context as never)) { } }
for (let i = 0; i < 20000; i++) await once();
const t = process.cpuUsage(); const N = 100000;
for (let i = 0; i < N; i++) await once();
const u = process.cpuUsage(t);
console.log(root, ((u.user + u.system) / N).toFixed(2), "µs per 9-chunk stream through the service layer");

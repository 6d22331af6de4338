/**
 * Micro-benchmark. The error-mapping interceptor around a successful unary call: µs of CPU per call.
 * Takes a checkout's root, so two checkouts compare in one sitting:
 *   npx tsx bench/micro/error-interceptor.ts /tmp/base && npx tsx bench/micro/error-interceptor.ts "$PWD"
 * (run from this repo's root so packages resolve; alternate a few times: the machine is shared).
 */
const root = process.argv[2];
const { errorMappingInterceptor } = await import(`${root}/src/server/error-interceptor.js`);
const response = { stream: false, message: {} };
const handler = errorMappingInterceptor(() => {})(async () => response);
const request = { service: { typeName: "switchyard.v1.InferenceService" }, method: { name: "Complete" } };
for (let i = 0; i < 100000; i++) await handler(request);
const t = process.cpuUsage();
const N = 1000000;
for (let i = 0; i < N; i++) await handler(request);
const u = process.cpuUsage(t);
console.log(root, ((u.user + u.system) / N).toFixed(3), "µs per call");

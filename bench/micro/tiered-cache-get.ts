/**
 * Micro-benchmark. TieredCache.get on a memory-layer hit: µs of CPU per lookup.
 * Takes a checkout's root, so two checkouts compare in one sitting:
 *   npx tsx bench/micro/tiered-cache-get.ts /tmp/base && npx tsx bench/micro/tiered-cache-get.ts "$PWD"
 * (run from this repo's root so packages resolve; alternate a few times: the machine is shared).
 */
const root = process.argv[2];
const { TieredCache } = await import(`${root}/src/cache/tiered-cache.js`);
const { MemoryLayer } = await import(`${root}/src/cache/layers/memory.js`);
const clock = { now: () => Date.now() };
const layer = new MemoryLayer({ maxEntries: 1000, maxBytes: 1e8, clock });
const cache = new TieredCache([{ layer, timeoutMs: 1000 }], clock, { warn() {} });
cache.store("k", new Uint8Array(300), 3600); await cache.idle();
for (let i = 0; i < 20000; i++) await cache.get("k");
const t = process.cpuUsage(); const N = 100000;
for (let i = 0; i < N; i++) await cache.get("k");
const u = process.cpuUsage(t);
console.log(root, ((u.user + u.system) / N).toFixed(2), "µs/get");

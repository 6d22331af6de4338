/**
 * The Redis mirror's background refresh at scale: `REDIS_URL=… npx tsx bench/micro/mirror-refresh.ts [deployments] [rounds]`.
 * One list of N deployments with live-looking state (latency samples, tokens) in Redis; times this process's CPU
 * and the wall clock per refresh (one read of the list), the cost paid every state_sync_ms while the list is picked
 * from, and Redis' own CPU per refresh (INFO cpu). Run with --cpu-prof to see where this process's CPU goes.
 */
import { Redis } from "ioredis";
import { RedisStateStore } from "../../src/router/state/redis-store.js";
import type { Clock } from "../../src/util/clock.js";

const size = Number(process.argv[2] ?? 1_000);
const rounds = Number(process.argv[3] ?? 200);
const url = process.env.REDIS_URL;
if (!url) throw new Error("REDIS_URL is required (a Redis server you started)");

const SYNC_MS = 100;
// The loop's clock, moved one interval per refresh (its own timer never fires: refreshes are driven here), so the
// rounds mix counter-only reads and full ones as a list picked from steadily does.
let now = Date.now();
const clock: Clock = { now: () => now, sleep: async () => {}, setTimer: () => ({ cancel() {} }) };
const ids = Array.from({ length: size }, (_, i) => `d${i}`);
const store = new RedisStateStore({ url, keyPrefix: `bench-mirror-${process.pid}:`, commandTimeoutMs: 5_000, clock, stateSyncMs: SYNC_MS });
for (let waited = 0; !store.shared; waited += 50) {
  if (waited > 10_000) throw new Error("Redis did not connect within 10 s");
  await new Promise((resolve) => setTimeout(resolve, 50));
}
for (const [i, id] of ids.entries()) {
  const lease = await store.begin(id);
  await lease.end({ totalTokens: 100 + (i % 900), latencyPerTokenMs: 5 + (i % 20), ttftMs: 100 + (i % 400) });
}
const view = store.view(ids)!;
await store.viewReady(view);
view.at(clock.now());

const refresh = async () => {
  now += SYNC_MS;
  view.at(now); // picked from: the view stays in the rounds
  await store.refreshMirror();
};
for (let r = 0; r < 20; r++) await refresh(); // warm up
const admin = new Redis(url);
const redisCpuMs = async () => {
  const info = await admin.info("cpu");
  const field = (name: string) => Number(new RegExp(`^${name}:([0-9.]+)`, "m").exec(info)?.[1] ?? 0);
  return (field("used_cpu_user") + field("used_cpu_sys")) * 1000;
};
const redisBefore = await redisCpuMs();
const cpu = process.cpuUsage();
const began = performance.now();
for (let r = 0; r < rounds; r++) await refresh();
const wallMs = (performance.now() - began) / rounds;
const used = process.cpuUsage(cpu);
const cpuMs = (used.user + used.system) / 1000 / rounds;
const redisMs = ((await redisCpuMs()) - redisBefore) / rounds;
console.log(`${size} deployments: ${cpuMs.toFixed(2)} ms CPU here, ${redisMs.toFixed(2)} ms Redis CPU, ${wallMs.toFixed(2)} ms wall per refresh (${rounds} refreshes)`);
admin.disconnect();
await store.close();
process.exit(0);

import { afterEach, describe, expect, it } from "vitest";
import { WorkerPool } from "../../src/server/workers/worker-pool.js";
import { configFromYaml } from "../support/gateway.js";
import { call, complete, eventually, inFlight } from "../support/fresh-connection.js";

/**
 * A WorkerPool started from this test process: two worker threads, each a
 * full gateway on the same port (SO_REUSEPORT). Every call below opens its
 * own TCP connection, so the kernel spreads them over both workers.
 */
let pool: WorkerPool | undefined;
afterEach(async () => {
  await pool?.close(1_000);
  pool = undefined;
});

async function startPool(config: Record<string, unknown>): Promise<WorkerPool> {
  pool = await WorkerPool.start({ config: configFromYaml(JSON.stringify(config)), workers: 2, port: 0, host: "127.0.0.1" });
  return pool;
}

const slowMock = (latencyMs: number) => ({ model_list: [{ model_name: "slow", provider: "mock", params: { model: "m", mock: { latency_ms: latencyMs } } }] });

describe("gateway worker pool (server_settings.workers)", () => {
  it("shows every worker's in-flight requests in GetRouterState, whichever worker answers", async () => {
    const { port } = await startPool(slowMock(6_000));
    // Long enough that the reads below all land while the six are parked, even on a loaded machine (2.5 s was not, under a full parallel suite).
    const calls = Array.from({ length: 6 }, () => complete(port, "slow"));
    await eventually(async () => (await inFlight(port)) === 6);
    // Several reads on fresh connections land on both workers; each sees all six.
    for (let i = 0; i < 6; i++) expect(await inFlight(port)).toBe(6);
    const results = await Promise.all(calls);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(await inFlight(port)).toBe(0);
    const { json } = await call(port, "AdminService/GetRouterState", {});
    expect(json.deployments[0].currentRpm).toBe(6);
  });

  it("replaces a worker that dies, forgets its in-flight requests and keeps serving", async () => {
    const { port } = await startPool(slowMock(1_500));
    const calls = Array.from({ length: 4 }, () => complete(port, "slow").catch(() => ({ status: 0, json: undefined })));
    await eventually(async () => (await inFlight(port)) === 4);
    await pool!.terminateWorker(0);
    // The surviving worker serves throughout; the replacement joins the port.
    expect((await complete(port, "slow")).status).toBe(200);
    await eventually(async () => pool!.restarts === 1);
    await Promise.all(calls);
    // The dead worker's requests no longer count as in flight.
    await eventually(async () => (await inFlight(port)) === 0);
    const after = await Promise.all(Array.from({ length: 4 }, () => complete(port, "slow")));
    expect(after.map((r) => r.status)).toEqual([200, 200, 200, 200]);
  });

  it("keeps a memory cache per worker, hits from the second round on each, reports and invalidates across workers", async () => {
    const { port } = await startPool({
      model_list: [{ model_name: "m", provider: "mock", params: { model: "m" } }],
      cache_settings: { enabled: true, layers: [{ memory: {} }] },
    });
    const prompts = Array.from({ length: 5 }, (_, i) => `prompt ${i}`);
    const rounds = 10;
    let hits = 0;
    for (let round = 0; round < rounds; round++) {
      const results = await Promise.all(prompts.map((p) => complete(port, "m", p)));
      hits += results.filter((r) => r.json.cache?.hit).length;
    }
    // Each worker misses a prompt once: at most 2 misses per prompt with 2 workers (1 with one worker).
    const hitRate = hits / (prompts.length * rounds);
    expect(hitRate).toBeGreaterThanOrEqual((rounds - 2) / rounds);
    // GetCacheStats adds up both workers' counters, whichever answers.
    for (let i = 0; i < 4; i++) {
      const { json } = await call(port, "AdminService/GetCacheStats", {});
      const memory = json.layers.find((l: { layer: string }) => l.layer === "memory");
      expect({ hits: Number(memory.hits), misses: Number(memory.misses) }).toEqual({ hits, misses: prompts.length * rounds - hits });
    }

    // An invalidation received by one worker reaches the other's memory layer too: the next round misses everywhere.
    const invalidated = await call(port, "AdminService/InvalidateCache", { namespace: "default" });
    expect(invalidated.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 200)); // the broadcast crosses threads asynchronously
    const next = await Promise.all(prompts.map((p) => complete(port, "m", p)));
    expect(next.map((r) => Boolean(r.json.cache?.hit))).toEqual(prompts.map(() => false));
  });
});

import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
    const minuteAtStart = Math.floor(Date.now() / 60_000);
    const calls = Array.from({ length: 6 }, () => complete(port, "slow"));
    await eventually(async () => (await inFlight(port)) === 6);
    // Several reads on fresh connections land on both workers; each sees all six.
    for (let i = 0; i < 6; i++) expect(await inFlight(port)).toBe(6);
    // Both workers' calls count in the one rpm window: read while they are in flight, since the window is the clock's minute
    // (a read in the next minute would rightly show 0, so that case is told apart rather than guessed at). Not made
    // deterministic: the worker threads read the system clock (worker-main.ts), a FakeClock's functions cannot cross into
    // a thread, and waiting out a minute boundary would be the kind of wall-clock sleep these tests avoid.
    const { json } = await call(port, "AdminService/GetRouterState", {});
    if (Math.floor(Date.now() / 60_000) === minuteAtStart) expect(json.deployments[0].currentRpm).toBe(6);
    const results = await Promise.all(calls);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(await inFlight(port)).toBe(0);
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
      expect(Number(memory.entries)).toBeGreaterThan(0); // so the wait for none left, below, waits for something
    }

    // An invalidation received by one worker reaches the other's memory layer too: the next round misses everywhere.
    const invalidated = await call(port, "AdminService/InvalidateCache", { namespace: "default" });
    expect(invalidated.status).toBe(200);
    // The answer comes once the answering worker cleared its own layer; the broadcast reaches the other one asynchronously
    // and acknowledges nothing. Wait for its effect: GetCacheStats showing no memory entries left. Every lookup so far
    // (hits + misses) must be in that sum too, or a sibling that missed the stats query's deadline would pass for an empty one.
    const lookups = prompts.length * rounds;
    await eventually(async () => {
      const memory = (await call(port, "AdminService/GetCacheStats", {})).json.layers.find((l: { layer: string }) => l.layer === "memory");
      return Number(memory.entries ?? 0) === 0 && Number(memory.hits ?? 0) + Number(memory.misses ?? 0) === lookups;
    });
    const next = await Promise.all(prompts.map((p) => complete(port, "m", p)));
    expect(next.map((r) => Boolean(r.json.cache?.hit))).toEqual(prompts.map(() => false));
  });

  describe("hot reload across workers", () => {
    const group = (ids: string[], latencyMs = 0) =>
      JSON.stringify({ model_list: ids.map((id) => ({ model_name: "chat", id, provider: "mock", params: { model: "m", mock: { latency_ms: latencyMs } } })) });
    const deploymentIds = async (port: number) => ((await call(port, "AdminService/GetRouterState", {})).json.deployments as { deploymentId: string }[]).map((d) => d.deploymentId).sort();

    it("applies a ReloadConfig received by one worker to every worker, with shared state for the new deployments", async () => {
      const { port } = await startPool(JSON.parse(group(["first"])));
      const reloaded = await call(port, "AdminService/ReloadConfig", { configText: group(["second"], 5_000) });
      expect(reloaded.status).toBe(200);
      expect(reloaded.json).toMatchObject({ addedDeployments: ["second"], removedDeployments: ["first"] });
      // The answer comes once every worker has the config: each fresh connection, whichever worker it lands on, sees it.
      for (let i = 0; i < 6; i++) expect(await deploymentIds(port)).toEqual(["second"]);
      // The added deployment has a block in the shared memory: in-flight counts from both workers add up.
      const calls = Array.from({ length: 4 }, () => complete(port, "chat"));
      await eventually(async () => (await inFlight(port)) === 4);
      for (let i = 0; i < 4; i++) expect(await inFlight(port)).toBe(4);
      const answers = await Promise.all(calls);
      expect(answers.map((a) => a.json.deploymentId)).toEqual(["second", "second", "second", "second"]);
      expect(await inFlight(port)).toBe(0);
    });

    it("refuses an invalid config with validate-config's errors and keeps serving the old one on every worker", async () => {
      const { port } = await startPool(JSON.parse(group(["kept"])));
      const refused = await call(port, "AdminService/ReloadConfig", { configText: JSON.stringify({ model_list: [{ model_name: "chat", provider: "nope" }] }) });
      expect(refused.status).toBe(400);
      expect(refused.json.code).toBe("invalid_argument");
      expect(refused.json.message).toMatch(/ReloadConfig\.config_text: model_list\[0\]\.provider.*unknown provider "nope"/);
      for (let i = 0; i < 4; i++) expect((await complete(port, "chat")).json.deploymentId).toBe("kept");
    });

    it("reloads the config file on SIGHUP's path (no text) and a replacement worker starts on the new config", async () => {
      const dir = await mkdtemp(join(tmpdir(), "switchyard-pool-reload-"));
      const file = join(dir, "config.json");
      await writeFile(file, group(["from-start"]));
      pool = await WorkerPool.start({ config: configFromYaml(group(["from-start"])), workers: 2, port: 0, host: "127.0.0.1", configFile: file });
      await writeFile(file, group(["from-file"]));
      await pool.reloader.reloadAndLog("SIGHUP");
      for (let i = 0; i < 4; i++) expect(await deploymentIds(pool.port)).toEqual(["from-file"]);
      await pool.terminateWorker(1);
      await eventually(async () => pool!.restarts === 1);
      for (let i = 0; i < 8; i++) expect((await complete(pool.port, "chat")).json.deploymentId).toBe("from-file");
    });
  });

  it("reports every worker's wait queue in GetRouterState, whichever worker answers", async () => {
    const { port } = await startPool({
      model_list: [{ model_name: "one-at-a-time", provider: "mock", max_parallel_requests: 1, params: { model: "m", mock: { latency_ms: 6_000 } } }],
      router_settings: { wait_queue: { enabled: true } },
    });
    // One call holds the only slot; the others wait, each in the queue of the worker its connection landed on.
    const calls = Array.from({ length: 5 }, () => complete(port, "one-at-a-time").catch(() => undefined));
    // Waiting + in flight, from one GetRouterState answer. Usually 4 + 1; two workers can both admit a call before either
    // counts it (the limit check and the in-flight count are not one atomic step across threads), so 3 + 2 is possible too.
    const accounted = async () => {
      const { json } = await call(port, "AdminService/GetRouterState", {});
      const waiting = (json.waitQueues ?? []).reduce((sum: number, q: { depth?: number }) => sum + (q.depth ?? 0), 0);
      return { waiting, total: waiting + (json.deployments[0].inFlight ?? 0) };
    };
    await eventually(async () => (await accounted()).total === 5);
    for (let i = 0; i < 6; i++) {
      const { waiting, total } = await accounted();
      expect(total).toBe(5);
      expect(waiting).toBeGreaterThanOrEqual(3);
    }
    await pool!.close(0); // cancels the parked calls
    await Promise.all(calls);
  });
});

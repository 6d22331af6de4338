import { once } from "node:events";
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import {
  allocateSharedStateMemory,
  assignBlocks,
  clearWorkerSlot,
  SharedMemoryStateStore,
} from "../../src/router/state/shared-memory-store.js";
import { FakeClock } from "../support/fake-clock.js";

/** Two stores on one memory: what two worker threads of one gateway see. */
function twoWorkers(ids = ["a/0", "b/0"]) {
  const clock = new FakeClock();
  const memory = allocateSharedStateMemory(ids, 2);
  return { clock, memory, w0: new SharedMemoryStateStore(memory, 0, clock), w1: new SharedMemoryStateStore(memory, 1, clock) };
}

describe("shared-memory deployment state store (worker threads)", () => {
  it("adds up in-flight requests and this minute's rpm/tpm across workers", async () => {
    const { w0, w1, clock } = twoWorkers();
    const l0 = await w0.begin("a/0");
    const l1 = await w1.begin("a/0");
    await w1.begin("a/0");
    expect((await w0.stats(["a/0"])).get("a/0")).toMatchObject({ inFlight: 3, rpm: 3, tpm: 0 });
    await l0.end({ totalTokens: 10, latencyPerTokenMs: 4 });
    await l1.end({ totalTokens: 5, ttftMs: 20 });
    expect(w1.statsOf("a/0")).toMatchObject({ inFlight: 1, rpm: 3, tpm: 15, latencyPerTokenMs: 4, ttftMs: 20 });
    expect(w1.statsOf("b/0")).toMatchObject({ inFlight: 0, rpm: 0, latencyPerTokenMs: undefined });
    clock.advance(60_000);
    expect(w0.statsOf("a/0")).toMatchObject({ inFlight: 1, rpm: 0, tpm: 0, latencyPerTokenMs: 4 });
  });

  it("moves latency averages with samples from every worker", async () => {
    const { w0, w1 } = twoWorkers();
    await (await w0.begin("a/0")).end({ totalTokens: 1, latencyPerTokenMs: 10 });
    await (await w1.begin("a/0")).end({ totalTokens: 1, latencyPerTokenMs: 20 });
    expect(w0.statsOf("a/0").latencyPerTokenMs).toBeCloseTo(13, 5); // 10 + 0.3 × (20 − 10)
  });

  it("shares failure windows, cooldowns and the single half-open trial", async () => {
    const { w0, w1, clock } = twoWorkers();
    expect(await w0.recordFailure("a/0", "RATE_LIMITED: slow down", 60_000)).toBe(1);
    expect(await w1.recordFailure("a/0", "RATE_LIMITED: again", 60_000)).toBe(2);
    await w1.coolDown("a/0", clock.now() + 5_000, "RATE_LIMITED: again");
    expect(w0.statsOf("a/0")).toMatchObject({ cooldownUntilMs: clock.now() + 5_000, tripped: true, recentFailures: 0, lastError: "RATE_LIMITED: again" });
    clock.advance(5_000);
    expect(await w0.tryBeginTrial("a/0", 1_000)).toBe(true);
    expect(await w1.tryBeginTrial("a/0", 1_000)).toBe(false);
    await w0.recover("a/0");
    expect(w1.statsOf("a/0")).toMatchObject({ tripped: false, cooldownUntilMs: 0, trialUntilMs: 0 });
  });

  it("shares health-check results and keeps the last error, cut to a bounded size", async () => {
    const { w0, w1 } = twoWorkers();
    await w0.setHealth("b/0", false, `health check: ${"é".repeat(400)}`);
    const seen = w1.statsOf("b/0");
    expect(seen.unhealthy).toBe(true);
    expect(seen.lastError.startsWith("health check: éé")).toBe(true);
    expect(Buffer.byteLength(seen.lastError)).toBeLessThanOrEqual(512);
    expect(seen.lastError).not.toContain("\uFFFD");
    await w1.setHealth("b/0", true, "");
    expect(w0.statsOf("b/0").unhealthy).toBe(false);
  });

  it("shares an operator's drain (SetDeploymentState) with every worker", async () => {
    const { w0, w1 } = twoWorkers();
    expect(w1.statsOf("a/0").drained).toBe(false);
    await w0.setDrained("a/0", true);
    expect(w1.statsOf("a/0").drained).toBe(true);
    expect(w1.statsOf("b/0").drained).toBe(false);
    await w1.setDrained("a/0", false);
    expect(w0.statsOf("a/0").drained).toBe(false);
  });

  it("forgets a dead worker's in-flight requests and only those", async () => {
    const { w0, w1, memory } = twoWorkers();
    await w0.begin("a/0");
    await w1.begin("a/0");
    await w1.begin("a/0");
    clearWorkerSlot(memory, 1);
    expect(w0.statsOf("a/0").inFlight).toBe(1);
  });

  it("keeps ids outside the config in the worker's own memory", async () => {
    const { w0, w1 } = twoWorkers();
    await w0.begin("unknown/0");
    expect(w0.statsOf("unknown/0").inFlight).toBe(1);
    expect(w1.statsOf("unknown/0").inFlight).toBe(0);
  });

  it("loses no update when worker threads change the same deployment at the same time", async () => {
    const iterations = 20_000;
    const memory = allocateSharedStateMemory(["a/0"], 2);
    const gate = new SharedArrayBuffer(4);
    const workers = [0, 1].map(
      (slot) =>
        new Worker(new URL("../support/shared-state-hammer.ts", import.meta.url), { workerData: { memory, slot, iterations, gate }, execArgv: ["--import", "tsx"] }),
    );
    await Promise.all(workers.map((w) => once(w, "message")));
    await Promise.all(workers.map((w) => w.terminate()));
    const stats = new SharedMemoryStateStore(memory, 0, new FakeClock(Date.now())).statsOf("a/0");
    // A minute boundary inside the run would reset rpm/tpm; failures count over an hour-long window.
    expect(stats.recentFailures).toBe(2 * iterations);
    expect(stats.inFlight).toBe(0);
  }, 60_000);

  describe("blocks for deployments a hot reload adds", () => {
    it("keeps every assigned id's block, appends new ids, and refuses past the capacity", () => {
      const memory = allocateSharedStateMemory(["a"], 2, 3);
      const next = assignBlocks(memory, ["b", "a"])!;
      expect(next.deploymentIds).toEqual(["a", "b"]);
      expect(next.ints).toBe(memory.ints); // the same shared memory, not a copy
      // A removed id keeps its block: calls still finishing on it stay counted, and it comes back with its state.
      expect(assignBlocks(next, ["c"])!.deploymentIds).toEqual(["a", "b", "c"]);
      expect(assignBlocks(next, ["c", "d"])).toBeUndefined();
      expect(assignBlocks(next, ["a"])).toBe(next);
    });

    it("shares a new deployment's state between workers once both adopt the assignment", async () => {
      const { memory, w0, w1 } = twoWorkers(["a/0"]);
      const next = assignBlocks(memory, ["a/0", "new/0"])!;
      w0.adoptBlocks(next.deploymentIds);
      w1.adoptBlocks(next.deploymentIds);
      await w0.begin("new/0");
      await w1.begin("new/0");
      expect(w0.statsOf("new/0").inFlight).toBe(2);
      expect(w1.statsOf("new/0").inFlight).toBe(2);
      expect(w1.statsOf("a/0").inFlight).toBe(0);
    });
  });
});

import { describe, expect, it } from "vitest";
import { create } from "@bufbuild/protobuf";
import { WaitQueueStateSchema } from "../../gen/ts/switchyard/v1/admin_pb.js";
import { ErrorKind, type ModelResponse } from "../../gen/ts/switchyard/v1/inference_pb.js";
import { GatewayError } from "../../src/errors/gateway-error.js";
import { mergeWaitQueueStates, RECHECK_INTERVAL_MS } from "../../src/router/queue.js";
import { routerStateReader } from "../../src/router/router-state.js";
import { allocateSharedStateMemory, SharedMemoryStateStore } from "../../src/router/state/shared-memory-store.js";
import { FakeClock } from "../support/fake-clock.js";
import { chat, ctx, mockDeployment, routerFor, runOnClock } from "./support.js";

/** One deployment taking one request at a time, each for 100 ms, with waiting at the limits on. */
function oneAtATime(waitQueue: Record<string, unknown> = {}, deployment: Record<string, unknown> = { max_parallel_requests: 1 }) {
  const clock = new FakeClock();
  const under = routerFor(
    { model_list: [mockDeployment("chat", "only", { latency_ms: 100 }, deployment)], router_settings: { wait_queue: { enabled: true, ...waitQueue }, num_retries: 0 } },
    { clock },
  );
  return under;
}

interface Outcome {
  label: string;
  at: number;
  error?: unknown;
}

/** Starts each call one after the other (so each is queued before the next arrives) and records when each settles. */
async function startInOrder(clock: FakeClock, calls: Array<[label: string, start: () => Promise<ModelResponse>]>, done: Outcome[]): Promise<Promise<void>[]> {
  const settled: Promise<void>[] = [];
  for (const [label, start] of calls) {
    settled.push(
      start().then(
        () => void done.push({ label, at: clock.now() }),
        (error) => void done.push({ label, at: clock.now(), error }),
      ),
    );
    await clock.advance(0);
  }
  return settled;
}

async function drive(clock: FakeClock, settled: Promise<void>[]) {
  await runOnClock(clock, Promise.all(settled));
}

describe("waiting at the limits", () => {
  it("serves waiting requests by priority, first come first served within a priority", async () => {
    const { router, clock } = oneAtATime();
    const done: Outcome[] = [];
    const call = (priority: number) => () => router.complete(chat("chat", "q", { priority }), ctx());
    const settled = await startInOrder(
      clock,
      [
        ["busy", call(0)],
        ["low-1", call(0)],
        ["high-1", call(5)],
        ["low-2", call(0)],
        ["high-2", call(5)],
        ["mid", call(1)],
      ],
      done,
    );
    await drive(clock, settled);
    expect(done.map((o) => o.label)).toEqual(["busy", "high-1", "high-2", "mid", "low-1", "low-2"]);
    expect(done.every((o) => o.error === undefined)).toBe(true);
    // One at a time, back to back: the queue loses no time between them.
    expect(done.map((o) => o.at - done[0]!.at)).toEqual([0, 100, 200, 300, 400, 500]);
  });

  it("lets callers take turns within a priority: one flooding the queue delays its own requests, not others'", async () => {
    const { router, clock } = oneAtATime();
    const done: Outcome[] = [];
    const call = (caller: string, priority = 0) => () => router.complete(chat("chat", "q", { priority }), { ...ctx(), caller });
    const settled = await startInOrder(
      clock,
      [
        ["busy", call("x")],
        ["a-1", call("a")],
        ["a-2", call("a")],
        ["a-3", call("a")],
        ["b-1", call("b")],
        ["b-2", call("b")],
        ["c-1", call("c")],
        ["urgent", call("a", 5)], // priority still comes first
      ],
      done,
    );
    await drive(clock, settled);
    expect(done.map((o) => o.label)).toEqual(["busy", "urgent", "a-1", "b-1", "c-1", "a-2", "b-2", "a-3"]);
  });

  it("serves first come, first served within a priority, whoever the caller, with fair_by_caller false", async () => {
    const { router, clock } = oneAtATime({ fair_by_caller: false, max_depth: 3 });
    const done: Outcome[] = [];
    const call = (caller: string) => () => router.complete(chat("chat", "q"), { ...ctx(), caller });
    const settled = await startInOrder(
      clock,
      [["busy", call("x")], ["a-1", call("a")], ["a-2", call("a")], ["a-3", call("a")], ["b-1", call("b")]],
      done,
    );
    expect(done.map((o) => o.label)).toEqual(["b-1"]); // the queue is full: refused, no place taken from a
    await drive(clock, settled);
    expect(done.filter((o) => !o.error).map((o) => o.label)).toEqual(["busy", "a-1", "a-2", "a-3"]);
  });

  it("starts a caller new to a busy queue at the turn being served, not behind the turns others queued long ago", async () => {
    const { router, clock } = oneAtATime();
    const done: Outcome[] = [];
    const call = (caller: string) => () => router.complete(chat("chat", "q"), { ...ctx(), caller });
    const settled = await startInOrder(clock, [["busy", call("x")], ...Array.from({ length: 4 }, (_, i) => [`a-${i + 1}`, call("a")] as [string, () => Promise<ModelResponse>])], done);
    await clock.advance(250); // busy, a-1 and a-2 served: a's turn 1 is being served
    settled.push(...(await startInOrder(clock, [["b-1", call("b")]], done)));
    await drive(clock, settled);
    expect(done.map((o) => o.label)).toEqual(["busy", "a-1", "a-2", "b-1", "a-3", "a-4"]);
  });

  it("does not starve equal priorities: a steady stream of newcomers queues behind earlier waiters", async () => {
    const { router, clock } = oneAtATime();
    const done: Outcome[] = [];
    const settled: Promise<void>[] = [];
    for (let i = 0; i < 12; i++) {
      settled.push(...(await startInOrder(clock, [[`r${i}`, () => router.complete(chat("chat"), ctx())]], done)));
      await clock.advance(30); // newcomers arrive faster than they are served
    }
    await drive(clock, settled);
    expect(done.map((o) => o.label)).toEqual(Array.from({ length: 12 }, (_, i) => `r${i}`));
  });

  it("honours each request's deadline while it waits", async () => {
    const { router, clock } = oneAtATime({ max_wait_ms: 250 });
    const done: Outcome[] = [];
    const settled = await startInOrder(
      clock,
      [
        ["busy", () => router.complete(chat("chat"), ctx())],
        ["busy-2", () => router.complete(chat("chat"), ctx())],
        ["impatient", () => router.complete(chat("chat", "q", { timeoutMs: 150 }), ctx())],
        ["default-wait", () => router.complete(chat("chat"), ctx())],
      ],
      done,
    );
    const start = clock.now();
    await drive(clock, settled);
    const impatient = done.find((o) => o.label === "impatient")!;
    expect((impatient.error as GatewayError).kind).toBe(ErrorKind.TIMEOUT);
    expect(impatient.at - start).toBe(150);
    // busy-2 is served at 100 and ends at 200; default-wait is next and served, well within its 250 ms.
    expect(done.find((o) => o.label === "default-wait")!.error).toBeUndefined();
  });

  it("gives up after max_wait_ms when the request sets no deadline", async () => {
    const { router, clock } = oneAtATime({ max_wait_ms: 50 });
    const done: Outcome[] = [];
    const settled = await startInOrder(clock, [["busy", () => router.complete(chat("chat"), ctx())], ["waiter", () => router.complete(chat("chat"), ctx())]], done);
    await drive(clock, settled);
    const waiter = done.find((o) => o.label === "waiter")!;
    expect((waiter.error as GatewayError).kind).toBe(ErrorKind.NO_DEPLOYMENT_AVAILABLE);
    expect(waiter.at).toBeLessThan(done.find((o) => o.label === "busy")!.at);
  });

  it("refuses with RESOURCE_EXHAUSTED when the queue is full", async () => {
    const { router, clock } = oneAtATime({ max_depth: 2 });
    const done: Outcome[] = [];
    const settled = await startInOrder(
      clock,
      ["busy", "w1", "w2", "overflow"].map((label) => [label, () => router.complete(chat("chat"), ctx())] as [string, () => Promise<ModelResponse>]),
      done,
    );
    expect(done.map((o) => o.label)).toEqual(["overflow"]);
    const error = done[0]!.error as GatewayError;
    expect(error.kind).toBe(ErrorKind.RATE_LIMITED); // gRPC RESOURCE_EXHAUSTED
    expect(error.message).toMatch(/max_depth 2/);
    await drive(clock, settled);
    expect(done.filter((o) => !o.error).map((o) => o.label)).toEqual(["busy", "w1", "w2"]);
  });

  it("gives a full queue's place to a caller holding fewer: the caller holding the most loses its last-served request", async () => {
    const { router, clock } = oneAtATime({ max_depth: 3 });
    const done: Outcome[] = [];
    const call = (caller: string) => () => router.complete(chat("chat"), { ...ctx(), caller });
    const settled = await startInOrder(
      clock,
      [
        ["busy", call("x")],
        ["a-1", call("a")],
        ["a-2", call("a")],
        ["a-3", call("a")], // full: a holds all 3 places
        ["b-1", call("b")], // takes a-3's place
        ["b-2", call("b")], // a 2, b 1: b taking one would only trade places between equals, so refused
        ["c-1", call("c")], // takes a-2's place
      ],
      done,
    );
    expect(done.map((o) => o.label)).toEqual(["a-3", "b-2", "a-2"]);
    for (const refused of done) {
      expect((refused.error as GatewayError).kind).toBe(ErrorKind.RATE_LIMITED); // gRPC RESOURCE_EXHAUSTED
      expect((refused.error as GatewayError).message).toMatch(/max_depth 3/);
    }
    expect((done[0]!.error as GatewayError).message).toMatch(/this caller held 3 of its places/);
    await drive(clock, settled);
    expect(done.filter((o) => !o.error).map((o) => o.label)).toEqual(["busy", "a-1", "b-1", "c-1"]);
  });

  it("waits for the next minute when the rpm limit is reached", async () => {
    const { router, clock } = oneAtATime({ max_wait_ms: 120_000 }, { rpm: 1 });
    await runOnClock(clock, router.complete(chat("chat"), ctx()));
    const minuteEnds = Math.ceil((clock.now() + 1) / 60_000) * 60_000;
    await runOnClock(clock, router.complete(chat("chat"), ctx()));
    // Served once the minute rolled over (found by the periodic re-check), then 100 ms of latency.
    expect(clock.now()).toBeGreaterThanOrEqual(minuteEnds + 100);
    expect(clock.now()).toBeLessThanOrEqual(minuteEnds + 100 + RECHECK_INTERVAL_MS);
  });

  it("shows queue depth and wait times in GetRouterState", async () => {
    const { router, clock, config } = oneAtATime();
    const read = routerStateReader(config, router.store, clock, () => router.waitQueueState());
    const done: Outcome[] = [];
    const settled = await startInOrder(clock, ["a", "b", "c"].map((l) => [l, () => router.complete(chat("chat"), ctx())] as [string, () => Promise<ModelResponse>]), done);
    const waiting = await read({ modelGroup: "" } as never);
    expect(waiting.waitQueues).toHaveLength(1);
    expect(waiting.waitQueues[0]).toMatchObject({ modelGroup: "chat", depth: 2, served: 0n });
    await drive(clock, settled);
    const after = await read({ modelGroup: "chat" } as never);
    expect(after.waitQueues[0]).toMatchObject({ depth: 0, served: 2n, rejected: 0n, expired: 0n, meanWaitMs: 150, maxWaitMs: 200 });
  });

  it("fails at once, without waiting, when the deployments are cooling down rather than at a limit", async () => {
    const { router, clock } = oneAtATime();
    await router.store.coolDown("only", clock.now() + 60_000, "RATE_LIMITED: test");
    const started = clock.now();
    await expect(router.complete(chat("chat"), ctx())).rejects.toMatchObject({ kind: ErrorKind.NO_DEPLOYMENT_AVAILABLE });
    expect(clock.now()).toBe(started);
  });

  it("fails at once when the deployment at its limit is drained: no call ending would make it take one", async () => {
    const { router, clock } = oneAtATime({ max_wait_ms: 120_000 }, { rpm: 1 });
    await runOnClock(clock, router.complete(chat("chat"), ctx()));
    await router.store.setDrained("only", true);
    const started = clock.now();
    await expect(router.complete(chat("chat"), ctx())).rejects.toMatchObject({ kind: ErrorKind.NO_DEPLOYMENT_AVAILABLE });
    expect(clock.now()).toBe(started);
  });
});

describe("waiting across worker threads", () => {
  it("serves a waiter the moment a call ends in another worker, not at the next re-check", async () => {
    // Two routers on one shared memory, as two workers of one gateway: the other worker holds the only slot.
    const clock = new FakeClock();
    const memory = allocateSharedStateMemory(["only"], 2);
    const here = new SharedMemoryStateStore(memory, 0, clock);
    const otherWorker = new SharedMemoryStateStore(memory, 1, clock);
    const { router } = routerFor(
      { model_list: [mockDeployment("chat", "only", {}, { max_parallel_requests: 1 })], router_settings: { wait_queue: { enabled: true }, num_retries: 0 } },
      { clock, store: here },
    );
    const held = (await otherWorker.tryBegin("only", { maxInFlight: 1 }))!;
    const start = clock.now();
    let served = false;
    const call = router.complete(chat("chat"), ctx()).then((answer) => {
      served = true;
      return answer;
    });
    await clock.advance(1);
    expect(router.waitQueueState()[0]).toMatchObject({ depth: 1 });
    await held.end();
    // No fake time passes (the re-check is RECHECK_INTERVAL_MS away): only the other worker's call ending can wake it.
    for (let i = 0; i < 50 && !served; i++) await clock.advance(0);
    expect(served).toBe(true);
    expect((await call).deploymentId).toBe("only");
    expect(clock.now() - start).toBeLessThan(RECHECK_INTERVAL_MS);
  });
});

describe("wait queues of several workers, merged", () => {
  it("adds up counts per group, weights the mean wait by requests served and keeps the longest wait", () => {
    const q = (modelGroup: string, depth: number, served: number, meanWaitMs: number, maxWaitMs: number) =>
      create(WaitQueueStateSchema, { modelGroup, depth, served: BigInt(served), rejected: 1n, expired: 2n, meanWaitMs, maxWaitMs });
    const merged = mergeWaitQueueStates([[q("chat", 2, 3, 10, 40)], [q("chat", 1, 1, 50, 60), q("embed", 4, 0, 0, 0)]]);
    expect(merged.map((m) => ({ ...m, $typeName: undefined }))).toEqual([
      { $typeName: undefined, modelGroup: "chat", depth: 3, served: 4n, rejected: 2n, expired: 4n, meanWaitMs: 20, maxWaitMs: 60 },
      { $typeName: undefined, modelGroup: "embed", depth: 4, served: 0n, rejected: 1n, expired: 2n, meanWaitMs: 0, maxWaitMs: 0 },
    ]);
  });
});

import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { FakeClock } from "../support/fake-clock.js";
import { runOnClock } from "../router/support.js";
import { startInMemoryGateway, type InMemoryGateway } from "../support/in-memory-gateway.js";
import { MASTER_KEY, authConfig } from "./support.js";

/**
 * No caller can take the wait queue at the limits from the others.
 * options.priority orders it, so a caller free to pick any priority could
 * put its requests ahead of every other caller's: a virtual key's requests
 * are queued at most at its max_priority (default 0); the master key is not
 * capped. Within a priority, keys take turns, so one that queued many
 * requests first does not hold back everyone else's.
 */

const gateways: InMemoryGateway[] = [];
afterAll(async () => {
  await Promise.all(gateways.map((g) => g.close()));
});

/** One deployment serving one request at a time for 100 ms, with waiting at the limits on, keys in a file store. */
async function oneAtATimeGateway(clock: FakeClock): Promise<InMemoryGateway> {
  const storeFile = join(await mkdtemp(join(tmpdir(), "sy-priority-")), "keys.json");
  const config = authConfig({
    model_list: [{ model_name: "held", id: "held-1", provider: "mock", params: { model: "mock-1", mock: { latency_ms: 100 } }, max_parallel_requests: 1 }],
    router_settings: { wait_queue: { enabled: true }, num_retries: 0 },
    auth_settings: { store_file: storeFile },
  });
  const gateway = await startInMemoryGateway(config, { clock });
  gateways.push(gateway);
  return gateway;
}

describe("a virtual key's max_priority", () => {
  it("caps the priority its requests wait at: a key asking for more waits behind a key allowed that much; the master key is not capped", async () => {
    const clock = new FakeClock();
    const gateway = await oneAtATimeGateway(clock);
    const master = gateway.clientsWith({ authorization: `Bearer ${MASTER_KEY}` });
    const plain = await master.admin.createKey({ alias: "plain" }); // max_priority unset: 0
    const urgent = await master.admin.createKey({ alias: "urgent", maxPriority: 5 });
    expect([plain.info!.maxPriority, urgent.info!.maxPriority]).toEqual([0, 5]);
    const asKey = (key: string) => gateway.clientsWith({ authorization: `Bearer ${key}` }).inference;

    const served: string[] = [];
    const queued = async (label: string, call: () => Promise<unknown>, depth: number) => {
      const done = call().then(() => void served.push(label));
      // Each waits in the queue before the next arrives (arrival order must not decide the test).
      await vi.waitFor(async () => expect((await master.admin.getRouterState({ modelGroup: "held" })).waitQueues[0]?.depth ?? 0).toBe(depth));
      return [done]; // wrapped: an async function returning the promise itself would wait for it
    };
    const ask = (priority: number) => ({ model: "held", messages: [{ role: "user", content: `p${priority}` }], options: { priority } });

    const busy = master.inference.complete(ask(0)).then(() => void served.push("busy"));
    await vi.waitFor(async () => expect((await master.admin.getRouterState({ modelGroup: "held" })).deployments[0]!.inFlight).toBe(1));
    const settled = [
      [busy],
      await queued("plain asking 9", () => asKey(plain.key).complete(ask(9)), 1),
      await queued("urgent asking 5", () => asKey(urgent.key).complete(ask(5)), 2),
      await queued("urgent asking 7", () => asKey(urgent.key).complete(ask(7)), 3),
      await queued("master asking 9", () => master.inference.complete(ask(9)), 4),
    ];
    await runOnClock(clock, Promise.all(settled.flat()));
    // plain's 9 is queued at 0, urgent's 7 at 5 (behind its own earlier 5: first come first served within a priority).
    expect(served).toEqual(["busy", "master asking 9", "urgent asking 5", "urgent asking 7", "plain asking 9"]);
  });

  it("is changed by UpdateKey and shown by GetKey; priorities at or below it, negative ones included, are kept", async () => {
    const clock = new FakeClock();
    const gateway = await oneAtATimeGateway(clock);
    const master = gateway.clientsWith({ authorization: `Bearer ${MASTER_KEY}` });
    const key = await master.admin.createKey({ alias: "batch" });
    expect((await master.admin.updateKey({ keyId: key.keyId, maxPriority: 3 })).maxPriority).toBe(3);
    expect((await master.admin.getKey({ keyId: key.keyId })).maxPriority).toBe(3);
    expect((await master.admin.updateKey({ keyId: key.keyId, alias: "batch-2" })).maxPriority).toBe(3); // unset in the update: unchanged
    const keyed = gateway.clientsWith({ authorization: `Bearer ${key.key}` }).inference;

    const served: string[] = [];
    const queued = async (label: string, call: () => Promise<unknown>, depth: number) => {
      const done = call().then(() => void served.push(label));
      await vi.waitFor(async () => expect((await master.admin.getRouterState({ modelGroup: "held" })).waitQueues[0]?.depth ?? 0).toBe(depth));
      return [done]; // wrapped: an async function returning the promise itself would wait for it
    };
    const ask = (priority: number) => ({ model: "held", messages: [{ role: "user", content: `p${priority}` }], options: { priority } });
    const busy = master.inference.complete(ask(0)).then(() => void served.push("busy"));
    await vi.waitFor(async () => expect((await master.admin.getRouterState({ modelGroup: "held" })).deployments[0]!.inFlight).toBe(1));
    const settled = [
      [busy],
      await queued("key asking -1", () => keyed.complete(ask(-1)), 1),
      await queued("master asking 0", () => master.inference.complete(ask(0)), 2),
      await queued("key asking 3", () => keyed.complete(ask(3)), 3),
      await queued("master asking 2", () => master.inference.complete(ask(2)), 4),
    ];
    await runOnClock(clock, Promise.all(settled.flat()));
    expect(served).toEqual(["busy", "key asking 3", "master asking 2", "master asking 0", "key asking -1"]);
  });

  it("lets keys take turns at one priority: a key that queued first and most waits its turn behind the others' first requests", async () => {
    const clock = new FakeClock();
    const gateway = await oneAtATimeGateway(clock);
    const master = gateway.clientsWith({ authorization: `Bearer ${MASTER_KEY}` });
    const [flood, other] = [await master.admin.createKey({ alias: "flood" }), await master.admin.createKey({ alias: "other" })];
    const served: string[] = [];
    const queued = async (label: string, key: string, depth: number) => {
      const done = gateway
        .clientsWith({ authorization: `Bearer ${key}` })
        .inference.complete({ model: "held", messages: [{ role: "user", content: label }] })
        .then(() => void served.push(label));
      await vi.waitFor(async () => expect((await master.admin.getRouterState({ modelGroup: "held" })).waitQueues[0]?.depth ?? 0).toBe(depth));
      return [done];
    };
    const busy = master.inference.complete({ model: "held", messages: [{ role: "user", content: "busy" }] }).then(() => void served.push("busy"));
    await vi.waitFor(async () => expect((await master.admin.getRouterState({ modelGroup: "held" })).deployments[0]!.inFlight).toBe(1));
    const settled = [
      [busy],
      await queued("flood-1", flood.key, 1),
      await queued("flood-2", flood.key, 2),
      await queued("flood-3", flood.key, 3),
      await queued("other-1", other.key, 4),
    ];
    await runOnClock(clock, Promise.all(settled.flat()));
    expect(served).toEqual(["busy", "flood-1", "other-1", "flood-2", "flood-3"]);
  });
});

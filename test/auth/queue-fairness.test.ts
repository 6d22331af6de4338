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

type Inference = InMemoryGateway["inference"];

/**
 * The gateway's one slot held by a master-key call, then each request sent
 * in turn, each waiting in the queue before the next is sent (arrival order
 * must not decide these tests); runs the fake clock until all are served
 * and returns the labels in the order they were answered.
 */
async function servedInOrder(gateway: InMemoryGateway, clock: FakeClock, requests: Array<[label: string, client: Inference, priority: number]>): Promise<string[]> {
  const admin = gateway.clientsWith({ authorization: `Bearer ${MASTER_KEY}` }).admin;
  const state = () => admin.getRouterState({ modelGroup: "held" });
  const served: string[] = [];
  const send = (label: string, client: Inference, priority: number) =>
    client.complete({ model: "held", messages: [{ role: "user", content: label }], options: { priority } }).then(() => void served.push(label));
  const settled = [send("busy", gateway.clientsWith({ authorization: `Bearer ${MASTER_KEY}` }).inference, 0)];
  const patiently = { timeout: 10_000, interval: 20 }; // a loaded CI machine: each step is an in-process call, usually a few ms
  await vi.waitFor(async () => expect((await state()).deployments[0]!.inFlight).toBe(1), patiently);
  for (const [label, client, priority] of requests) {
    settled.push(send(label, client, priority));
    await vi.waitFor(async () => expect((await state()).waitQueues[0]?.depth ?? 0).toBe(settled.length - 1), patiently);
  }
  await runOnClock(clock, Promise.all(settled));
  return served;
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
    const served = await servedInOrder(gateway, clock, [
      ["plain asking 9", asKey(plain.key), 9],
      ["urgent asking 5", asKey(urgent.key), 5],
      ["urgent asking 7", asKey(urgent.key), 7],
      ["master asking 9", master.inference, 9],
    ]);
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
    const served = await servedInOrder(gateway, clock, [
      ["key asking -1", keyed, -1],
      ["master asking 0", master.inference, 0],
      ["key asking 3", keyed, 3],
      ["master asking 2", master.inference, 2],
    ]);
    expect(served).toEqual(["busy", "key asking 3", "master asking 2", "master asking 0", "key asking -1"]);
  });

  it("lets keys take turns at one priority: a key that queued first and most waits its turn behind the others' first requests", async () => {
    const clock = new FakeClock();
    const gateway = await oneAtATimeGateway(clock);
    const master = gateway.clientsWith({ authorization: `Bearer ${MASTER_KEY}` });
    const [flood, other] = [await master.admin.createKey({ alias: "flood" }), await master.admin.createKey({ alias: "other" })];
    const [floodClient, otherClient] = [flood, other].map((k) => gateway.clientsWith({ authorization: `Bearer ${k.key}` }).inference);
    const served = await servedInOrder(gateway, clock, [
      ["flood-1", floodClient!, 0],
      ["flood-2", floodClient!, 0],
      ["flood-3", floodClient!, 0],
      ["other-1", otherClient!, 0],
    ]);
    expect(served).toEqual(["busy", "flood-1", "other-1", "flood-2", "flood-3"]);
  });
});

// Worker thread for test/router/parallel-cap.test.ts: claims and releases one deployment's capped slots (in flight, rpm) from its own thread.
import { parentPort, workerData } from "node:worker_threads";
import { SharedMemoryStateStore, type SharedStateMemory } from "../../src/router/state/shared-memory-store.js";
import type { BeginCaps } from "../../src/router/state/state-store.js";
import { FakeClock } from "./fake-clock.js";

const { memory, slot, caps, rounds, gate, threads } = workerData as {
  memory: SharedStateMemory;
  slot: number;
  caps: BeginCaps;
  rounds: number;
  gate: SharedArrayBuffer;
  threads: number;
};
// One fixed instant for every thread: the race stays inside one rpm minute.
const store = new SharedMemoryStateStore(memory, slot, new FakeClock(1_700_000_000_000));
// Start together: the threads must be inside the loop at the same time for the race to happen.
const arrived = new Int32Array(gate);
Atomics.add(arrived, 0, 1);
Atomics.notify(arrived, 0);
while (Atomics.load(arrived, 0) < threads) Atomics.wait(arrived, 0, Atomics.load(arrived, 0), 10);
let highest = 0;
let claimed = 0;
for (let i = 0; i < rounds; i++) {
  const lease = await store.tryBegin("d", caps);
  if (!lease) continue;
  claimed++;
  highest = Math.max(highest, store.statsOf("d").inFlight);
  await lease.end();
}
parentPort!.postMessage({ highest, claimed });

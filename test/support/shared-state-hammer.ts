// Worker thread for test/router/shared-memory-state.test.ts: hammers one deployment's shared state from its own thread.
import { parentPort, workerData } from "node:worker_threads";
import { SharedMemoryStateStore, type SharedStateMemory } from "../../src/router/state/shared-memory-store.js";
import { systemClock } from "../../src/util/clock.js";

const { memory, slot, iterations, gate } = workerData as { memory: SharedStateMemory; slot: number; iterations: number; gate: SharedArrayBuffer };
const store = new SharedMemoryStateStore(memory, slot, systemClock);
// Start together: both threads must be inside the loop at the same time for the test to mean anything.
const arrived = new Int32Array(gate);
Atomics.add(arrived, 0, 1);
Atomics.notify(arrived, 0);
while (Atomics.load(arrived, 0) < 2) Atomics.wait(arrived, 0, 1, 10);
for (let i = 0; i < iterations; i++) {
  const lease = await store.begin("a/0");
  await store.recordFailure("a/0", `worker ${slot}`, 3_600_000);
  await lease.end({ totalTokens: 1 });
}
parentPort!.postMessage("done");

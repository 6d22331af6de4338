/**
 * Entry point of one gateway worker thread: builds the full gateway from
 * the config the main thread sent, listens on the shared port with
 * SO_REUSEPORT (the kernel spreads new connections over the workers), keeps
 * routing state in the pool's shared memory, and drains when told.
 */
import { BroadcastChannel, parentPort, workerData } from "node:worker_threads";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { InvalidateCacheRequestSchema } from "../../../gen/ts/switchyard/v1/admin_pb.js";
import { RouterConfigSchema } from "../../../gen/ts/switchyard/v1/config_pb.js";
import { createLogger } from "../../observability/logger.js";
import { SharedMemoryStateStore } from "../../router/state/shared-memory-store.js";
import { systemClock } from "../../util/clock.js";
import { startGateway, type Gateway } from "../gateway.js";
import type { FromWorker, ToWorker, WorkerStartData } from "./protocol.js";

const data = workerData as WorkerStartData;
const port = parentPort!;
const tell = (message: FromWorker) => port.postMessage(message);
const logger = createLogger(data.logLevel).child({ worker: data.slot });

// Memory cache layers are per worker; an invalidation on one worker reaches the others here.
const cacheChannel = new BroadcastChannel(data.cacheChannel);
cacheChannel.unref();

let gateway: Gateway;
try {
  gateway = await startGateway({
    config: fromBinary(RouterConfigSchema, data.configBinary),
    port: data.port,
    host: data.host,
    logger,
    reusePort: true,
    stateStore: data.stateMemory ? new SharedMemoryStateStore(data.stateMemory, data.slot, systemClock) : undefined,
    onCacheInvalidated: (request) => cacheChannel.postMessage(toBinary(InvalidateCacheRequestSchema, request)),
  });
} catch (err) {
  tell({ type: "start-failed", message: (err as Error).message });
  process.exit(1);
}

cacheChannel.onmessage = (event) => {
  const request = fromBinary(InvalidateCacheRequestSchema, (event as MessageEvent<Uint8Array>).data);
  gateway.cache?.invalidate(request).catch((err: Error) => logger.warn({ err: err.message }, "cache invalidation from a sibling worker failed"));
};

port.on("message", (message: ToWorker) => {
  if (message.type !== "drain") return;
  void gateway.close(message.graceMs).then(() => {
    cacheChannel.close();
    tell({ type: "drained" });
    // Pools and timers of providers may still hold the loop; this thread's work is done.
    process.exit(0);
  });
});

tell({ type: "listening", port: gateway.port });

/**
 * Entry point of one gateway worker thread: builds the full gateway from
 * the config the main thread sent, listens on the shared port with
 * SO_REUSEPORT (the kernel spreads new connections over the workers), keeps
 * routing state in the pool's shared memory, and drains when told.
 */
import { parentPort, workerData } from "node:worker_threads";
import { fromBinary } from "@bufbuild/protobuf";
import { RouterConfigSchema } from "../../../gen/ts/switchyard/v1/config_pb.js";
import { createLogger } from "../../observability/logger.js";
import { SharedMemoryStateStore } from "../../router/state/shared-memory-store.js";
import { systemClock } from "../../util/clock.js";
import { startGateway, type Gateway } from "../gateway.js";
import type { FromWorker, ToWorker, WorkerStartData } from "./protocol.js";
import { SiblingCache } from "./sibling-cache.js";

const data = workerData as WorkerStartData;
const port = parentPort!;
const tell = (message: FromWorker) => port.postMessage(message);
const logger = createLogger(data.logLevel).child({ worker: data.slot });

const config = fromBinary(RouterConfigSchema, data.configBinary);
// Health checks write shared state, so one worker probing is enough; slot 0's replacement takes over when it dies.
if (data.slot !== 0 && config.routerSettings?.healthCheck) config.routerSettings.healthCheck.enabled = false;

let gateway: Gateway;
let siblingCache: SiblingCache | undefined;
try {
  gateway = await startGateway({
    config,
    port: data.port,
    host: data.host,
    logger,
    reusePort: true,
    reloadable: false,
    stateStore: data.stateMemory ? new SharedMemoryStateStore(data.stateMemory, data.slot, systemClock) : undefined,
    // Memory cache layers are per worker: the cache admin RPCs reach every sibling.
    adminCache: (cache) => (siblingCache = new SiblingCache(cache, data.cacheChannel, data.slot, data.workers, logger)),
  });
} catch (err) {
  tell({ type: "start-failed", message: (err as Error).message });
  process.exit(1);
}

port.on("message", (message: ToWorker) => {
  if (message.type !== "drain") return;
  void gateway.close(message.graceMs).then(() => {
    siblingCache?.close();
    tell({ type: "drained" });
    // Pools and timers of providers may still hold the loop; this thread's work is done.
    process.exit(0);
  });
});

tell({ type: "listening", port: gateway.port });

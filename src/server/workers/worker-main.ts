/**
 * Entry point of one gateway worker thread: builds the full gateway from
 * the config the main thread sent, listens on the shared port with
 * SO_REUSEPORT (the kernel spreads new connections over the workers), keeps
 * routing state in the pool's shared memory, and drains when told.
 */
import { parentPort, workerData } from "node:worker_threads";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { RouterConfigSchema, type RouterConfig } from "../../../gen/ts/switchyard/v1/config_pb.js";
import { GetRouterStateResponseSchema, ReloadConfigResponseSchema, type ReloadConfigResponse } from "../../../gen/ts/switchyard/v1/admin_pb.js";
import { mergeWaitQueueStates } from "../../router/queue.js";
import { Code, ConnectError } from "@connectrpc/connect";
import { ConfigError } from "../../config/config-error.js";
import { createLogger } from "../../observability/logger.js";
import { SharedMemoryStateStore } from "../../router/state/shared-memory-store.js";
import { systemClock } from "../../util/clock.js";
import { startGateway, type Gateway } from "../gateway.js";
import type { FromWorker, ToWorker, WorkerStartData } from "./protocol.js";
import { SiblingCache } from "./sibling-cache.js";
import { SiblingQuery } from "./sibling-query.js";

const data = workerData as WorkerStartData;
const port = parentPort!;
const tell = (message: FromWorker) => port.postMessage(message);
const logger = createLogger(data.logLevel).child({ worker: data.slot });

/** Health checks write shared state, so one worker probing is enough; slot 0's replacement takes over when it dies. */
function configForThisWorker(binary: Uint8Array): RouterConfig {
  const config = fromBinary(RouterConfigSchema, binary);
  if (data.slot !== 0 && config.routerSettings?.healthCheck) config.routerSettings.healthCheck.enabled = false;
  return config;
}

/** ReloadConfig on this worker: the pool validates the config once and applies it to every worker, this one included. */
const pendingReloads = new Map<number, { resolve: (response: ReloadConfigResponse) => void; reject: (err: Error) => void }>();
let nextReloadId = 0;
function reloadThroughPool(configText: string): Promise<ReloadConfigResponse> {
  return new Promise((resolve, reject) => {
    const id = nextReloadId++;
    pendingReloads.set(id, { resolve, reject });
    tell({ type: "reload", id, configText });
  });
}

const config = configForThisWorker(data.configBinary);
const stateStore = data.stateMemory ? new SharedMemoryStateStore(data.stateMemory, data.slot, systemClock) : undefined;

let gateway: Gateway;
let siblingCache: SiblingCache | undefined;
let siblingQueues: SiblingQuery | undefined;
try {
  gateway = await startGateway({
    config,
    port: data.port,
    host: data.host,
    logger,
    reusePort: true,
    reloadConfig: reloadThroughPool,
    stateStore,
    // Memory cache layers are per worker: the cache admin RPCs reach every sibling.
    adminCache: (cache) => (siblingCache = new SiblingCache(cache, data.cacheChannel, data.slot, data.workers, logger)),
    // Each worker queues its own waiting requests: GetRouterState on any worker reports them all.
    waitQueues: (own) => {
      siblingQueues = new SiblingQuery(`${data.cacheChannel}:wait-queues`, data.slot, data.workers, () => toBinary(GetRouterStateResponseSchema, create(GetRouterStateResponseSchema, { waitQueues: own() })));
      return async () => mergeWaitQueueStates([own(), ...(await siblingQueues!.ask()).map((bytes) => fromBinary(GetRouterStateResponseSchema, bytes).waitQueues)]);
    },
  });
} catch (err) {
  tell({ type: "start-failed", message: (err as Error).message });
  process.exit(1);
}

port.on("message", (message: ToWorker) => {
  if (message.type === "apply-config") return void applyConfig(message);
  if (message.type === "reload-result") return settleReload(message);
  void gateway.close(message.graceMs).then(() => {
    siblingCache?.close();
    siblingQueues?.close();
    tell({ type: "drained" });
    // Pools and timers of providers may still hold the loop; this thread's work is done.
    process.exit(0);
  });
});

tell({ type: "listening", port: gateway.port });

async function applyConfig(message: Extract<ToWorker, { type: "apply-config" }>): Promise<void> {
  stateStore?.adoptBlocks(message.deploymentIds);
  try {
    await gateway.reloader.applyValidated(configForThisWorker(message.configBinary));
  } catch (err) {
    // The pool validated it; a failure here is a fault of ours, and this worker keeps its previous config.
    logger.error({ err: (err as Error).message }, "could not apply the pool's new config");
  }
  tell({ type: "config-applied", id: message.id });
}

function settleReload(message: Extract<ToWorker, { type: "reload-result" }>): void {
  const pending = pendingReloads.get(message.id);
  if (!pending) return;
  pendingReloads.delete(message.id);
  if (message.response) return pending.resolve(fromBinary(ReloadConfigResponseSchema, message.response));
  const refusal = message.refusal ?? { kind: "other", message: "the pool refused the reload" };
  pending.reject(refusal.kind === "config" ? new ConfigError(refusal.file, refusal.problems) : new ConnectError(refusal.message, Code.FailedPrecondition));
}

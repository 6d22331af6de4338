import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { Worker } from "node:worker_threads";
import { toBinary } from "@bufbuild/protobuf";
import { RouterConfigSchema, type RouterConfig } from "../../../gen/ts/switchyard/v1/config_pb.js";
import { resolveConfig } from "../../config/resolve.js";
import { silentLogger, type Logger } from "../../observability/logger.js";
import { builtinProviders } from "../../providers/registry.js";
import { allocateSharedStateMemory, clearWorkerSlot, type SharedStateMemory } from "../../router/state/shared-memory-store.js";
import type { FromWorker, ToWorker, WorkerStartData } from "./protocol.js";

export interface WorkerPoolOptions {
  config: RouterConfig;
  workers: number;
  /** Overrides server_settings.port; 0 picks a free port (the first worker's, which the others then share). */
  port?: number;
  host?: string;
  logger?: Logger;
  /** The worker thread's entry module; default the compiled sibling worker-main.js. */
  workerEntry?: URL;
}

/** A replacement for a worker that keeps dying before it listens waits longer each time, up to this, ms. */
const MAX_RESTART_DELAY_MS = 5_000;

interface Slot {
  worker: Worker;
  /** Consecutive deaths before listening; resets once a replacement listens. */
  failedStarts: number;
  exited: boolean;
}

/**
 * One gateway served by N worker threads, each a complete gateway listening
 * on the same port with SO_REUSEPORT: the kernel spreads new connections
 * over them, and routing state lives in shared memory
 * (SharedMemoryStateStore), so every worker routes on, and GetRouterState
 * reports, the whole gateway. The main thread only supervises: it replaces a
 * worker that dies (the port keeps serving on the others meanwhile) and
 * drains them all on close.
 */
export class WorkerPool {
  private readonly slots: Slot[] = [];
  private closing?: Promise<void>;
  /** Workers started to replace dead ones, for operators and tests. */
  restarts = 0;

  private constructor(
    readonly port: number,
    private readonly start: (slot: number, port: number) => WorkerStartData,
    private readonly entry: URL,
    private readonly graceMs: number,
    private readonly stateMemory: SharedStateMemory | undefined,
    private readonly logger: Logger,
  ) {}

  static async start(options: WorkerPoolOptions): Promise<WorkerPool> {
    const logger = options.logger ?? silentLogger;
    // Resolved here only to validate and to learn the deployment ids; the workers build their own runtimes.
    const resolved = resolveConfig(options.config, builtinProviders());
    const stateMemory = resolved.redis
      ? undefined // Redis already shares state across workers and instances.
      : allocateSharedStateMemory(
          resolved.deployments.map((d) => d.id),
          options.workers,
        );
    const configBinary = toBinary(RouterConfigSchema, options.config);
    const host = options.host ?? resolved.server.host;
    const cacheChannel = `switchyard-cache-${randomUUID()}`;
    const data = (slot: number, port: number): WorkerStartData => ({ slot, workers: options.workers, configBinary, port, host, stateMemory, cacheChannel, logLevel: logger.level });
    const entry = options.workerEntry ?? defaultEntry();

    // The first worker settles the port (a free one when 0 was asked for); the others join it.
    const first = await startWorker(entry, data(0, options.port ?? resolved.server.port));
    const pool = new WorkerPool(first.port, data, entry, resolved.server.shutdownGraceMs, stateMemory, logger);
    pool.adopt(0, first.worker, 0);
    const rest = await Promise.allSettled(Array.from({ length: options.workers - 1 }, (_, i) => startWorker(entry, data(i + 1, first.port))));
    rest.forEach((started, i) => started.status === "fulfilled" && pool.adopt(i + 1, started.value.worker, 0));
    const failed = rest.find((started) => started.status === "rejected");
    if (failed) {
      await pool.close(0);
      throw failed.reason;
    }
    logger.info({ port: pool.port, workers: options.workers }, "switchyard workers listening");
    return pool;
  }

  /** Stops one worker abruptly, as a crash would; the pool replaces it like any dead worker. */
  async terminateWorker(slot: number): Promise<void> {
    await this.slots[slot]?.worker.terminate();
  }

  /**
   * Graceful stop of every worker at once: each reports NOT_SERVING, stops
   * accepting, lets in-flight calls finish for up to `graceMs` and exits.
   */
  close(graceMs = this.graceMs): Promise<void> {
    this.closing ??= (async () => {
      const live = this.slots.filter((s) => !s.exited);
      const exits = live.map(({ worker }) => once(worker, "exit"));
      for (const { worker } of live) worker.postMessage({ type: "drain", graceMs } satisfies ToWorker);
      // A worker stuck past its grace period (and the second, cancelling one) is stopped outright.
      const deadline = setTimeout(() => live.forEach(({ worker }) => void worker.terminate()), graceMs + 5_000);
      await Promise.all(exits);
      clearTimeout(deadline);
    })();
    return this.closing;
  }

  private adopt(index: number, worker: Worker, failedStarts: number): void {
    const slot: Slot = { worker, failedStarts, exited: false };
    this.slots[index] = slot;
    worker.on("error", (err: Error) => this.logger.error({ worker: index, err: err.message }, "worker failed"));
    worker.once("exit", (code) => {
      slot.exited = true;
      if (this.closing) return;
      this.logger.error({ worker: index, code }, "worker died; starting a replacement");
      this.replace(index, slot.failedStarts);
    });
  }

  private replace(index: number, failedStarts: number): void {
    // Its in-flight requests died with it.
    if (this.stateMemory) clearWorkerSlot(this.stateMemory, index);
    const delayMs = failedStarts === 0 ? 0 : Math.min(MAX_RESTART_DELAY_MS, 100 * 2 ** failedStarts);
    setTimeout(() => {
      if (this.closing) return;
      this.restarts++;
      const worker = spawn(this.entry, this.start(index, this.port));
      this.adopt(index, worker, failedStarts + 1);
      void waitListening(worker).then(
        () => {
          const slot = this.slots[index]!;
          if (slot.worker === worker) slot.failedStarts = 0;
          this.logger.info({ worker: index }, "replacement worker listening");
        },
        (err: Error) => this.logger.error({ worker: index, err: err.message }, "replacement worker failed to start"),
      );
    }, delayMs).unref();
  }
}

/** The compiled worker-main.js next to this module; its TypeScript source when running from src/ (tests, tsx). */
function defaultEntry(): URL {
  return new URL(import.meta.url.endsWith(".ts") ? "./worker-main.ts" : "./worker-main.js", import.meta.url);
}

function spawn(entry: URL, data: WorkerStartData): Worker {
  // TypeScript sources (tests, `tsx src/main.ts`) load through tsx in the worker too; compiled dist/ needs no loader.
  const execArgv = entry.pathname.endsWith(".ts") ? ["--import", "tsx"] : undefined;
  return new Worker(entry, { workerData: data, execArgv });
}

async function startWorker(entry: URL, data: WorkerStartData): Promise<{ worker: Worker; port: number }> {
  const worker = spawn(entry, data);
  try {
    return { worker, port: await waitListening(worker) };
  } catch (err) {
    await worker.terminate();
    throw err;
  }
}

/** Resolves with the port once the worker listens; rejects if it fails or exits first. */
function waitListening(worker: Worker): Promise<number> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: FromWorker) => {
      if (message.type === "listening") done(() => resolve(message.port));
      if (message.type === "start-failed") done(() => reject(new Error(message.message)));
    };
    const onError = (err: Error) => done(() => reject(err));
    const onExit = (code: number) => done(() => reject(new Error(`worker exited with code ${code} before listening`)));
    const done = (settle: () => void) => {
      worker.off("message", onMessage).off("error", onError).off("exit", onExit);
      settle();
    };
    worker.on("message", onMessage).on("error", onError).on("exit", onExit);
  });
}

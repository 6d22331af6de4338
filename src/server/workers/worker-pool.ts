import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { Worker } from "node:worker_threads";
import { toBinary } from "@bufbuild/protobuf";
import { RouterConfigSchema, type RouterConfig } from "../../../gen/ts/switchyard/v1/config_pb.js";
import { resolveConfig } from "../../config/resolve.js";
import { silentLogger, type Logger } from "../../observability/logger.js";
import { builtinProviders } from "../../providers/registry.js";
import { allocateSharedStateMemory, assignBlocks, clearWorkerSlot, type SharedStateMemory } from "../../router/state/shared-memory-store.js";
import { ReloadConfigResponseSchema, type ReloadConfigResponse } from "../../../gen/ts/switchyard/v1/admin_pb.js";
import { ConfigError } from "../../config/config-error.js";
import { ConfigReloader, deploymentChanges } from "../../config/reload.js";
import type { ResolvedConfig } from "../../config/resolve.js";
import type { ProviderRegistry } from "../../providers/registry.js";
import type { FromWorker, ReloadRefusal, ToWorker, WorkerStartData } from "./protocol.js";

export interface WorkerPoolOptions {
  config: RouterConfig;
  workers: number;
  /** Overrides server_settings.port; 0 picks a free port (the first worker's, which the others then share). */
  port?: number;
  host?: string;
  logger?: Logger;
  /** The worker thread's entry module; default the compiled sibling worker-main.js. */
  workerEntry?: URL;
  providers?: ProviderRegistry;
  /** The file `config` came from: ReloadConfig with no text, SIGHUP and the file watch re-read it. */
  configFile?: string;
  /** Reload when configFile changes. */
  watchConfig?: boolean;
}

/** How long a reload waits for each worker to take the new config before answering anyway, ms. */
const APPLY_WAIT_MS = 10_000;

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
  /**
   * Hot reload for the whole pool (ReloadConfig on any worker, SIGHUP, the
   * file watch): the config is parsed and validated once, here, then every
   * worker applies it and a replacement worker starts on it.
   */
  readonly reloader: ConfigReloader;
  private listeningOn = 0;
  private configBinary: Uint8Array;
  private deploymentIds: string[];
  private stateMemory: SharedStateMemory | undefined;
  private nextApplyId = 0;

  private constructor(
    config: RouterConfig,
    private readonly resolved: ResolvedConfig,
    private readonly options: WorkerPoolOptions,
    private readonly providers: ProviderRegistry,
    private readonly entry: URL,
    private readonly cacheChannel: string,
    private readonly logger: Logger,
  ) {
    this.configBinary = toBinary(RouterConfigSchema, config);
    this.deploymentIds = resolved.deployments.map((d) => d.id);
    this.stateMemory = resolved.redis
      ? undefined // Redis already shares state across workers and instances.
      : allocateSharedStateMemory(this.deploymentIds, options.workers);
    this.reloader = new ConfigReloader({ apply: (source) => this.applyToWorkers(source), providers, logger, file: options.configFile });
  }

  /** The port every worker listens on. */
  get port(): number {
    return this.listeningOn;
  }

  private get graceMs(): number {
    return this.resolved.server.shutdownGraceMs;
  }

  /** What a worker for `slot` starts from: always the latest applied config and block assignment. */
  private startData(slot: number, port: number): WorkerStartData {
    const host = this.options.host ?? this.resolved.server.host;
    return { slot, workers: this.options.workers, configBinary: this.configBinary, port, host, stateMemory: this.stateMemory, cacheChannel: this.cacheChannel, logLevel: this.logger.level };
  }

  static async start(options: WorkerPoolOptions): Promise<WorkerPool> {
    const logger = options.logger ?? silentLogger;
    const providers = options.providers ?? builtinProviders();
    // Resolved here only to validate and to learn the deployment ids; the workers build their own runtimes.
    const resolved = resolveConfig(options.config, providers);
    const pool = new WorkerPool(options.config, resolved, options, providers, options.workerEntry ?? defaultEntry(), `switchyard-cache-${randomUUID()}`, logger);

    // The first worker settles the port (a free one when 0 was asked for); the others join it.
    const first = await startWorker(pool.entry, pool.startData(0, options.port ?? resolved.server.port));
    pool.listeningOn = first.port;
    pool.adopt(0, first.worker, 0);
    const rest = await Promise.allSettled(Array.from({ length: options.workers - 1 }, (_, i) => startWorker(pool.entry, pool.startData(i + 1, first.port))));
    rest.forEach((started, i) => started.status === "fulfilled" && pool.adopt(i + 1, started.value.worker, 0));
    const failed = rest.find((started) => started.status === "rejected");
    if (failed) {
      await pool.close(0);
      throw failed.reason;
    }
    if (options.watchConfig) pool.reloader.watchFile();
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
      this.reloader.close();
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

  /** A worker's ReloadConfig: reload the pool, answer that worker. */
  private async answerReload(worker: Worker, id: number, configText: string): Promise<void> {
    let answer: ToWorker;
    try {
      const response = await this.reloader.reload(configText);
      answer = { type: "reload-result", id, response: toBinary(ReloadConfigResponseSchema, response) };
    } catch (err) {
      answer = { type: "reload-result", id, refusal: refusalOf(err) };
    }
    worker.postMessage(answer);
  }

  /**
   * Applies a validated config to every worker and waits until each has it
   * (or has died, or APPLY_WAIT_MS passed); a worker started later starts on
   * it. New deployment ids get their shared-state blocks first.
   */
  private async applyToWorkers(source: RouterConfig): Promise<ReloadConfigResponse> {
    const ids = resolveConfig(source, this.providers).deployments.map((d) => d.id);
    if (this.stateMemory) {
      const assigned = assignBlocks(this.stateMemory, ids);
      if (!assigned) {
        throw new Error(
          `the new config adds more deployments than the workers' shared routing state has room for (${this.stateMemory.capacity} ids over this gateway's life); restart to apply it`,
        );
      }
      this.stateMemory = assigned;
    }
    const changes = deploymentChanges(this.deploymentIds, ids);
    this.deploymentIds = ids;
    this.configBinary = toBinary(RouterConfigSchema, source);
    const id = this.nextApplyId++;
    const message: ToWorker = { type: "apply-config", id, configBinary: this.configBinary, deploymentIds: this.stateMemory?.deploymentIds ?? [] };
    await Promise.all(this.slots.filter((slot) => !slot.exited).map(({ worker }) => this.untilApplied(worker, message)));
    return changes;
  }

  private untilApplied(worker: Worker, message: Extract<ToWorker, { type: "apply-config" }>): Promise<void> {
    return new Promise((resolve) => {
      const onMessage = (reply: FromWorker) => reply.type === "config-applied" && reply.id === message.id && done();
      const timer = setTimeout(() => {
        this.logger.warn({ waitedMs: APPLY_WAIT_MS }, "a worker has not confirmed the new config; answering without it");
        done();
      }, APPLY_WAIT_MS);
      timer.unref();
      const done = () => {
        clearTimeout(timer);
        worker.off("message", onMessage).off("exit", done);
        resolve();
      };
      worker.on("message", onMessage).on("exit", done);
      worker.postMessage(message);
    });
  }

  private adopt(index: number, worker: Worker, failedStarts: number): void {
    const slot: Slot = { worker, failedStarts, exited: false };
    this.slots[index] = slot;
    worker.on("error", (err: Error) => this.logger.error({ worker: index, err: err.message }, "worker failed"));
    worker.on("message", (message: FromWorker) => {
      if (message.type === "reload") void this.answerReload(worker, message.id, message.configText);
    });
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
      const worker = spawn(this.entry, this.startData(index, this.port));
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

/** Turns a refused reload into what crosses back to the asking worker. */
function refusalOf(err: unknown): ReloadRefusal {
  if (err instanceof ConfigError) return { kind: "config", file: err.file, problems: err.problems };
  return { kind: "other", message: err instanceof Error ? err.message : String(err) };
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

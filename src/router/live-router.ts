import type {
  CompletionRequest,
  EmbeddingRequest,
  ImageGenerationRequest,
  ModelGroup,
  ModelResponseChunk,
  ModerationRequest,
} from "../../gen/ts/switchyard/v1/inference_pb.js";
import type { ResolvedConfig } from "../config/resolve.js";
import type { RequestContext } from "./request-context.js";
import type { Router } from "./router.js";

/** One config's router (with its deployment runtime) and the calls still running on it. */
interface Generation {
  readonly router: Router;
  inFlight: number;
  /** Set once a newer generation took over: runs when the last call here ends. */
  onIdle?: () => void;
}

/**
 * The router the services call, swappable at runtime (hot reload). Each
 * call runs start to finish on the generation it started on, so in-flight
 * requests finish on the deployments they began with; a replaced
 * generation is stopped, and its DeploymentRuntime (the adapters) closed,
 * once its last call ends. Every generation shares one state store, so
 * deployment state (health, usage, latency) carries over for deployment
 * ids that stay. Background work (health checks) runs between start() and
 * close(), on the current generation only.
 */
export class LiveRouter {
  private current: Generation;
  private readonly retiring = new Set<Generation>();
  private started = false;

  constructor(router: Router) {
    this.current = { router, inFlight: 0 };
  }

  get router(): Router {
    return this.current.router;
  }

  get config(): ResolvedConfig {
    return this.current.router.config;
  }

  /** Starts the current router's background work, and that of every router swapped in later. */
  start(): void {
    this.started = true;
    this.current.router.start();
  }

  /** New calls go to `next`; the previous router stops, and its runtime closes, after its in-flight calls. */
  swap(next: Router): void {
    const previous = this.current;
    this.current = { router: next, inFlight: 0 };
    if (this.started) next.start();
    this.retiring.add(previous);
    previous.onIdle = () => {
      this.retiring.delete(previous);
      previous.router.stop();
      void previous.router.runtime.close();
    };
    if (previous.inFlight === 0) previous.onIdle();
  }

  listModels(): ModelGroup[] {
    return this.current.router.listModels();
  }

  complete(request: CompletionRequest, ctx: RequestContext) {
    return this.track((r) => r.complete(request, ctx));
  }

  embed(request: EmbeddingRequest, ctx: RequestContext) {
    return this.track((r) => r.embed(request, ctx));
  }

  generateImage(request: ImageGenerationRequest, ctx: RequestContext) {
    return this.track((r) => r.generateImage(request, ctx));
  }

  moderate(request: ModerationRequest, ctx: RequestContext) {
    return this.track((r) => r.moderate(request, ctx));
  }

  async *stream(request: CompletionRequest, ctx: RequestContext): AsyncGenerator<ModelResponseChunk> {
    const generation = this.enter();
    try {
      yield* generation.router.stream(request, ctx);
    } finally {
      this.leave(generation);
    }
  }

  /** Closes the current router (and the shared store) and every generation's runtime, retiring or not. */
  async close(): Promise<void> {
    const all = [this.current, ...this.retiring];
    this.retiring.clear();
    for (const g of all) g.router.stop();
    await Promise.all(all.map((g) => g.router.runtime.close()));
    await this.current.router.close();
  }

  private async track<T>(call: (router: Router) => Promise<T>): Promise<T> {
    const generation = this.enter();
    try {
      return await call(generation.router);
    } finally {
      this.leave(generation);
    }
  }

  private enter(): Generation {
    const generation = this.current;
    generation.inFlight++;
    return generation;
  }

  private leave(generation: Generation): void {
    generation.inFlight--;
    if (generation.inFlight === 0) generation.onIdle?.();
  }
}

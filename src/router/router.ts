import { create } from "@bufbuild/protobuf";
import {
  AttemptOutcome,
  AttemptSchema,
  ErrorKind,
  ModelGroupSchema,
  ModelResponseChunkSchema,
  type Attempt,
  type CompletionRequest,
  type EmbeddingRequest,
  type EmbeddingResponse,
  type ImageGenerationRequest,
  type ImageGenerationResponse,
  type ModelGroup,
  type ModelResponse,
  type ModelResponseChunk,
  type ModerationRequest,
  type ModerationResponse,
  type RequestOptions,
  type Usage,
} from "../../gen/ts/switchyard/v1/inference_pb.js";
import type { ResolvedConfig, ResolvedDeployment } from "../config/resolve.js";
import { GatewayError } from "../errors/gateway-error.js";
import { kindName } from "../errors/status.js";
import type { CallContext, ProviderAdapter } from "../providers/provider.js";
import type { RequestContext } from "./request-context.js";
import { SimpleShuffle, type RoutingStrategy } from "./strategy.js";
import { buildTimings, type TimingMarks } from "./timings.js";

type CallType = "complete" | "stream" | "embed" | "generateImage" | "moderate";

const CALL_TYPE_LABEL: Record<CallType, string> = {
  complete: "completions",
  stream: "streaming completions",
  embed: "embeddings",
  generateImage: "image generation",
  moderate: "moderation",
};

/** The parts of an answer the router owns, filled the same way for every call type. */
interface RoutedMeta {
  modelGroup: string;
  provider: string;
  deploymentId: string;
  attempts: Attempt[];
}

/**
 * Picks a deployment of the requested model group and calls it, with a
 * per-attempt timeout; stamps the answer with where it came from, what
 * it cost and where the time went.
 */
export class Router {
  private readonly strategy: RoutingStrategy;

  constructor(
    private readonly config: ResolvedConfig,
    strategy?: RoutingStrategy,
  ) {
    this.strategy = strategy ?? new SimpleShuffle();
  }

  listModels(): ModelGroup[] {
    return [...this.config.groups].map(([name, deployments]) => {
      const windows = deployments.map((d) => d.maxInputTokens).filter((n): n is number => n !== undefined);
      return create(ModelGroupSchema, {
        name,
        deploymentCount: deployments.length,
        providers: [...new Set(deployments.map((d) => d.provider))].sort(),
        maxInputTokens: windows.length === deployments.length && windows.length > 0 ? Math.min(...windows) : 0,
      });
    });
  }

  async complete(request: CompletionRequest, ctx: RequestContext): Promise<ModelResponse> {
    const marks: TimingMarks = { upstreamMs: 0 };
    const { value, meta, deployment } = await this.callUnary(request.model, request.options, "complete", ctx, marks, (a, c) =>
      a.complete!(request, c),
    );
    marks.firstToken = performance.now();
    return Object.assign(value, meta, {
      costUsd: cost(deployment, value.usage),
      timings: buildTimings(ctx, marks),
    });
  }

  async embed(request: EmbeddingRequest, ctx: RequestContext): Promise<EmbeddingResponse> {
    const marks: TimingMarks = { upstreamMs: 0 };
    const { value, meta, deployment } = await this.callUnary(request.model, request.options, "embed", ctx, marks, (a, c) =>
      a.embed!(request, c),
    );
    return Object.assign(value, meta, { costUsd: cost(deployment, value.usage), timings: buildTimings(ctx, marks) });
  }

  async generateImage(request: ImageGenerationRequest, ctx: RequestContext): Promise<ImageGenerationResponse> {
    const marks: TimingMarks = { upstreamMs: 0 };
    const { value, meta, deployment } = await this.callUnary(request.model, request.options, "generateImage", ctx, marks, (a, c) =>
      a.generateImage!(request, c),
    );
    return Object.assign(value, meta, { costUsd: cost(deployment, value.usage), timings: buildTimings(ctx, marks) });
  }

  async moderate(request: ModerationRequest, ctx: RequestContext): Promise<ModerationResponse> {
    const marks: TimingMarks = { upstreamMs: 0 };
    const { value, meta } = await this.callUnary(request.model, request.options, "moderate", ctx, marks, (a, c) => a.moderate!(request, c));
    return Object.assign(value, meta, { timings: buildTimings(ctx, marks) });
  }

  /**
   * Streams chunks through as they arrive. The upstream's last chunk (the
   * one with usage) is stamped with cost, timings and attempts; if the
   * upstream ends without one, a closing chunk is added so callers always
   * get a final chunk.
   */
  async *stream(request: CompletionRequest, ctx: RequestContext): AsyncGenerator<ModelResponseChunk> {
    const marks: TimingMarks = { upstreamMs: 0 };
    const deployment = this.choose(request.model, request.options, "stream");
    const attemptSignal = this.attemptSignal(ctx, deployment.streamTimeoutMs);
    const started = performance.now();
    marks.upstreamStart = started;
    const meta: RoutedMeta = { modelGroup: deployment.modelGroup, provider: deployment.provider, deploymentId: deployment.id, attempts: [] };
    let sawFinal = false;
    let lastId = "";
    try {
      for await (const chunk of deployment.adapter.stream!(request, { signal: attemptSignal.signal })) {
        if (marks.firstToken === undefined) {
          marks.firstToken = performance.now();
          attemptSignal.clearTimeout(); // the stream timeout bounds time to first token only
        }
        lastId = chunk.id;
        chunk.modelGroup = meta.modelGroup;
        chunk.provider = meta.provider;
        chunk.deploymentId = meta.deploymentId;
        if (chunk.usage) {
          sawFinal = true;
          marks.upstreamMs = performance.now() - started;
          meta.attempts.push(attemptRecord(deployment, AttemptOutcome.SUCCESS, marks.upstreamMs));
          chunk.costUsd = cost(deployment, chunk.usage);
          chunk.timings = buildTimings(ctx, marks);
          chunk.attempts = meta.attempts;
        }
        yield chunk;
      }
    } catch (err) {
      throw this.attemptError(err, ctx, attemptSignal, deployment);
    } finally {
      attemptSignal.clearTimeout();
    }
    if (!sawFinal) {
      marks.upstreamMs = performance.now() - started;
      meta.attempts.push(attemptRecord(deployment, AttemptOutcome.SUCCESS, marks.upstreamMs));
      yield create(ModelResponseChunkSchema, { id: lastId, ...meta, timings: buildTimings(ctx, marks) });
    }
  }

  /** Eligible deployments of a group for a call type, honouring the request's tags. */
  private choose(model: string, options: RequestOptions | undefined, callType: CallType): ResolvedDeployment {
    const group = this.config.groups.get(model);
    if (!group) {
      throw new GatewayError(
        ErrorKind.NOT_FOUND,
        `model "${model}" is not a model group on this gateway (known: ${[...this.config.groups.keys()].join(", ")})`,
        { field: "model" },
      );
    }
    const method = callType === "stream" ? "stream" : callType;
    let candidates = group.filter((d) => typeof d.adapter[method] === "function");
    if (candidates.length === 0) {
      throw new GatewayError(ErrorKind.INVALID_REQUEST, `model group "${model}" does not support ${CALL_TYPE_LABEL[callType]}`, {
        field: "model",
      });
    }
    const tags = options?.tags ?? [];
    if (tags.length > 0) {
      candidates = candidates.filter((d) => tags.every((t) => d.tags.has(t)));
      if (candidates.length === 0) {
        throw new GatewayError(
          ErrorKind.NO_DEPLOYMENT_AVAILABLE,
          `no deployment of "${model}" carries all tags [${tags.join(", ")}]`,
          { field: "options.tags" },
        );
      }
    }
    return this.strategy.pick(candidates);
  }

  private async callUnary<T>(
    model: string,
    options: RequestOptions | undefined,
    callType: CallType,
    ctx: RequestContext,
    marks: TimingMarks,
    call: (adapter: ProviderAdapter, callCtx: CallContext) => Promise<T>,
  ): Promise<{ value: T; meta: RoutedMeta; deployment: ResolvedDeployment }> {
    const deployment = this.choose(model, options, callType);
    const attemptSignal = this.attemptSignal(ctx, deployment.timeoutMs);
    const started = performance.now();
    marks.upstreamStart = started;
    try {
      const value = await call(deployment.adapter, { signal: attemptSignal.signal });
      marks.upstreamMs = performance.now() - started;
      const attempts = [attemptRecord(deployment, AttemptOutcome.SUCCESS, marks.upstreamMs)];
      return {
        value,
        deployment,
        meta: { modelGroup: deployment.modelGroup, provider: deployment.provider, deploymentId: deployment.id, attempts },
      };
    } catch (err) {
      throw this.attemptError(err, ctx, attemptSignal, deployment);
    } finally {
      attemptSignal.clearTimeout();
    }
  }

  /** The request's signal plus a per-attempt timeout. */
  private attemptSignal(ctx: RequestContext, timeoutMs: number) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new AttemptTimeout(timeoutMs)), timeoutMs);
    timer.unref?.();
    return {
      signal: AbortSignal.any([ctx.signal, controller.signal]),
      timedOut: () => controller.signal.aborted,
      clearTimeout: () => clearTimeout(timer),
    };
  }

  /** What to throw for a failed attempt: the caller's abort reason wins, then our timeout, then the adapter's error. */
  private attemptError(err: unknown, ctx: RequestContext, attempt: { timedOut(): boolean }, deployment: ResolvedDeployment): unknown {
    if (ctx.signal.aborted) return ctx.signal.reason ?? err;
    if (attempt.timedOut()) {
      return new GatewayError(ErrorKind.TIMEOUT, `deployment ${deployment.id} did not answer in time`, { provider: deployment.provider });
    }
    if (err instanceof GatewayError) return err;
    return new GatewayError(ErrorKind.INTERNAL, `provider ${deployment.provider} failed unexpectedly`, {
      provider: deployment.provider,
      cause: err,
    });
  }
}

class AttemptTimeout extends Error {
  constructor(readonly timeoutMs: number) {
    super(`attempt timed out after ${timeoutMs} ms`);
  }
}

function attemptRecord(deployment: ResolvedDeployment, outcome: AttemptOutcome, latencyMs: number, error?: GatewayError): Attempt {
  return create(AttemptSchema, {
    deploymentId: deployment.id,
    provider: deployment.provider,
    modelGroup: deployment.modelGroup,
    outcome,
    errorKind: error?.kind,
    errorMessage: error ? `${kindName(error.kind)}: ${error.message}` : "",
    httpStatus: error?.httpStatus ?? 0,
    latencyMs: Math.round(latencyMs * 1000) / 1000,
  });
}

function cost(deployment: ResolvedDeployment, usage: Usage | undefined): number {
  if (!usage) return 0;
  return usage.promptTokens * deployment.inputCostPerToken + usage.completionTokens * deployment.outputCostPerToken;
}

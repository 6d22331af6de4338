import { context, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span, type Tracer } from "@opentelemetry/api";
import { GatewayError } from "../errors/gateway-error.js";
import { kindName } from "../errors/status.js";
import type { GatewayMetrics } from "./metrics.js";
import type { AttemptInfo, AttemptObserver, CacheLookupObserver, CacheResult, RequestObserver } from "./request-observer.js";

/**
 * OpenTelemetry GenAI semantic conventions
 * (https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-spans/):
 * the operation name per call type.
 */
export const GEN_AI_OPERATION: Record<string, string> = {
  complete: "chat",
  streamComplete: "chat",
  embed: "embeddings",
  generateImage: "generate_content",
  moderate: "moderation",
};

/**
 * What one request's router and cache reported, accumulated for its
 * metrics, spans and access-log line. Spans exist only when a tracer is
 * given and the request span is sampled.
 */
export class RequestObservation implements RequestObserver {
  attempts = 0;
  deployment = "";
  provider = "";
  cacheResult: CacheResult | "" = "";
  /** The successful attempt's span, ended with the request so it can carry the response's attributes. */
  openAttemptSpan?: Span;

  constructor(
    private readonly metrics: GatewayMetrics | undefined,
    private readonly tracer: Tracer | undefined,
    /** The request span's context; undefined when not tracing this request. */
    readonly spanContext: Context | undefined,
    readonly operation: string,
    public modelGroup: string,
  ) {}

  attemptStarted(info: AttemptInfo): AttemptObserver {
    this.attempts++;
    this.deployment = info.deploymentId;
    this.provider = info.provider;
    if (info.retry > 0) this.metrics?.retries.inc();
    return new ObservedAttempt(this, this.metrics, info, this.startSpan(`${this.operation} ${info.modelGroup}`, SpanKind.CLIENT, {
      "gen_ai.operation.name": this.operation,
      "gen_ai.provider.name": info.provider,
      "gen_ai.request.model": info.modelGroup,
      "switchyard.deployment.id": info.deploymentId,
      "switchyard.attempt.retry": info.retry,
    }));
  }

  fallback(from: string, to: string): void {
    this.metrics?.fallbacks.inc({ from, to });
    trace.getSpan(this.spanContext ?? context.active())?.addEvent("fallback", { "switchyard.fallback.from": from, "switchyard.fallback.to": to });
  }

  cacheLookup(): CacheLookupObserver {
    return new ObservedCacheLookup(this, this.metrics, this.startSpan("cache lookup", SpanKind.INTERNAL, {}));
  }

  startSpan(name: string, kind: SpanKind, attributes: Attributes): Span | undefined {
    if (!this.tracer || !this.spanContext) return undefined;
    return this.tracer.startSpan(name, { kind, attributes }, this.spanContext);
  }
}

class ObservedAttempt implements AttemptObserver {
  constructor(
    private readonly request: RequestObservation,
    private readonly metrics: GatewayMetrics | undefined,
    private readonly info: AttemptInfo,
    private readonly span: Span | undefined,
  ) {}

  run<T>(call: () => Promise<T>): Promise<T> {
    if (!this.span) return call();
    return context.with(trace.setSpan(this.request.spanContext!, this.span), call);
  }

  succeeded(): void {
    this.count("success");
    if (!this.span) return;
    this.span.setAttribute("switchyard.attempt.outcome", "success");
    this.request.openAttemptSpan = this.span;
  }

  failed(error: unknown): void {
    const failure = error instanceof GatewayError;
    this.count(failure ? "failure" : "cancelled");
    if (!this.span) return;
    this.span.setAttribute("switchyard.attempt.outcome", failure ? "failure" : "cancelled");
    if (failure) {
      this.span.setAttribute("error.type", kindName(error.kind));
      if (error.httpStatus) this.span.setAttribute("http.response.status_code", error.httpStatus);
    }
    this.span.setStatus({ code: SpanStatusCode.ERROR, message: failure ? `${kindName(error.kind)}: ${error.message}` : "cancelled" });
    this.span.end();
  }

  private count(outcome: string): void {
    this.metrics?.upstreamAttempts.inc({ model_group: this.info.modelGroup, deployment: this.info.deploymentId, provider: this.info.provider, outcome });
  }
}

class ObservedCacheLookup implements CacheLookupObserver {
  constructor(
    private readonly request: RequestObservation,
    private readonly metrics: GatewayMetrics | undefined,
    private readonly span: Span | undefined,
  ) {}

  layer(name: string, result: CacheResult): void {
    this.metrics?.cacheRequests.inc({ layer: name, result });
    this.span?.addEvent("cache layer", { "switchyard.cache.layer": name, "switchyard.cache.result": result });
    if (result === "skip") this.request.cacheResult = "skip";
  }

  end(hit: boolean): void {
    if (this.request.cacheResult !== "skip") this.request.cacheResult = hit ? "hit" : "miss";
    this.span?.setAttribute("switchyard.cache.result", this.request.cacheResult);
    this.span?.end();
  }
}

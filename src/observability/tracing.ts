import { context, type Tracer } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
  type SpanExporter,
} from "@opentelemetry/sdk-trace-base";
import type { ResolvedTracing } from "./settings.js";

/** The gateway's tracer and the provider that exports its spans; owned and closed by the Gateway. */
export class Tracing {
  private constructor(
    readonly tracer: Tracer,
    readonly settings: ResolvedTracing,
    private readonly provider: BasicTracerProvider,
  ) {}

  /**
   * Spans go over OTLP/HTTP (protobuf) to <endpoint>/v1/traces in batches,
   * or, when `exporter` is given (tests), to it one by one. New traces are
   * sampled at `samplingRatio`; a caller's traceparent decides for its own.
   */
  static create(settings: ResolvedTracing, exporter?: SpanExporter): Tracing {
    enableContextPropagation();
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ "service.name": settings.serviceName }),
      sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(settings.samplingRatio) }),
      spanProcessors: [
        exporter ? new SimpleSpanProcessor(exporter) : new BatchSpanProcessor(new OTLPTraceExporter({ url: `${settings.otlpEndpoint}/v1/traces` })),
      ],
    });
    return new Tracing(provider.getTracer("switchyard"), settings, provider);
  }

  /** Sends what is buffered. */
  flush(): Promise<void> {
    return this.provider.forceFlush();
  }

  close(): Promise<void> {
    return this.provider.shutdown();
  }
}

let contextManagerSet = false;

/**
 * The active span must follow a request across awaits (down to the
 * upstream HTTP call, which sends it as traceparent); OpenTelemetry does
 * that with one process-wide AsyncLocalStorage context manager, installed
 * once, the first time a gateway turns tracing on.
 */
function enableContextPropagation(): void {
  if (contextManagerSet) return;
  contextManagerSet = context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
}

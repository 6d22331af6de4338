import { context, trace, type Context, type TextMapGetter } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";

/** W3C Trace Context (traceparent, tracestate), used directly rather than through a process-wide propagator. */
const w3c = new W3CTraceContextPropagator();

const headersGetter: TextMapGetter<Headers> = {
  get: (headers, key) => headers.get(key) ?? undefined,
  keys: (headers) => [...headers.keys()],
};

/** The caller's trace context from incoming gRPC metadata / HTTP headers (traceparent), or the root context. */
export function extractTraceContext(headers: Headers): Context {
  return w3c.extract(context.active(), headers, headersGetter);
}

/**
 * Upstream request headers with the active span's traceparent added, so a
 * provider (or a proxy in front of it) can join the trace. When no span is
 * active (tracing off or not sampled) the headers are returned as they are.
 */
export function withTraceContext(headers: Record<string, string> | undefined): Record<string, string> | undefined {
  const active = context.active();
  const span = trace.getSpan(active);
  if (!span) return headers;
  const out: Record<string, string> = { ...headers };
  w3c.inject(active, out, { set: (carrier, key, value) => (carrier[key] = value) });
  return out;
}

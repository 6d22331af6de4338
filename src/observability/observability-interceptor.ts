import { randomUUID } from "node:crypto";
import { Code, ConnectError, type Interceptor, type StreamResponse } from "@connectrpc/connect";
import { context, SpanKind, SpanStatusCode, trace, type Span } from "@opentelemetry/api";
import type { Logger } from "./logger.js";
import type { GatewayMetrics } from "./metrics.js";
import { kRequestId, kRequestObserver } from "./context-keys.js";
import { keyAliasOf } from "./key-alias.js";
import { GEN_AI_OPERATION, RequestObservation } from "./request-observation.js";
import { extractTraceContext } from "./trace-context.js";
import type { Tracing } from "./tracing.js";

export const REQUEST_ID_HEADER = "x-request-id";
const INFERENCE_SERVICE = "switchyard.v1.InferenceService";
/** An incoming id is kept only when it is short and plain (it lands in logs and headers). */
const ACCEPTABLE_REQUEST_ID = /^[\w.:@/+=-]{1,128}$/;

/** gRPC status code names (https://grpc.github.io/grpc/core/md_doc_statuscodes.html), indexed by code. */
const CODE_NAMES = [
  "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED",
  "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
  "UNAUTHENTICATED",
];

export interface ObservabilityDeps {
  metrics?: GatewayMetrics;
  tracing?: Tracing;
  /** Access log; undefined = off. */
  accessLog?: { logger: Logger; sampleRatio: number };
  /** Dice for access-log sampling; seed it in tests. */
  random?: () => number;
}

/** The fields of a response (or a stream's final chunk) the observability layer reads. */
interface Answer {
  model?: string;
  id?: string;
  modelGroup?: string;
  deploymentId?: string;
  costUsd?: number;
  usage?: { promptTokens: number; completionTokens: number; cachedPromptTokens: number };
  timings?: { gatewayOverheadMs: number };
  cache?: { hit: boolean };
  choices?: Array<{ finishReason?: number; message?: { content?: string } }>;
}

/**
 * Request ids, metrics, the request span and the access log, as one
 * interceptor (they share one clock reading and one view of the outcome).
 * Every call gets an x-request-id (the caller's, when it sent a usable
 * one) in the response headers, trailers for streams, and error metadata.
 * InferenceService calls are also observed: what the router and cache
 * report goes through a RequestObserver in the call's context values.
 * Place it before the error-mapping interceptor so it sees status codes.
 */
export function observabilityInterceptor(deps: ObservabilityDeps): Interceptor {
  const random = deps.random ?? Math.random;
  return (next) => async (req) => {
    const startedAt = performance.now();
    const incoming = req.header.get(REQUEST_ID_HEADER);
    const requestId = incoming && ACCEPTABLE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    req.contextValues.set(kRequestId, requestId);
    if (req.service.typeName !== INFERENCE_SERVICE) return withRequestId(next, req, requestId);

    const method = req.method.localName;
    const operation = GEN_AI_OPERATION[method] ?? method;
    const callType = snakeCase(method);
    const protocol = protocolOf(req.header.get("content-type") ?? "");
    const requested = req.stream ? "" : ((req.message as { model?: string }).model ?? "");
    let span: Span | undefined;
    let spanContext: ReturnType<typeof context.active> | undefined;
    if (deps.tracing) {
      const parent = extractTraceContext(req.header);
      span = deps.tracing.tracer.startSpan(`${operation} ${requested}`.trim(), {
        kind: SpanKind.SERVER,
        attributes: {
          "gen_ai.operation.name": operation,
          "gen_ai.request.model": requested,
          "rpc.system": protocol === "connect" ? "connect_rpc" : "grpc",
          "rpc.service": req.service.typeName,
          "rpc.method": req.method.name,
          "switchyard.request_id": requestId,
        },
      }, parent);
      if (span.isRecording()) spanContext = trace.setSpan(parent, span);
      else span = undefined;
    }
    const observation = new RequestObservation(deps.metrics, deps.tracing?.tracer, spanContext, operation, requested);
    req.contextValues.set(kRequestObserver, observation);
    if (req.stream) req = { ...req, message: tapModel(req.message as AsyncIterable<{ model?: string }>, observation, span) } as typeof req;
    deps.metrics?.inFlight.inc({ model_group: requested });
    if (span && deps.tracing!.settings.recordContent && !req.stream) {
      span.setAttribute("gen_ai.input.messages", JSON.stringify((req.message as { messages?: unknown }).messages ?? []));
    }

    let finished = false;
    const finish = (answer: Answer | undefined, error: unknown, firstChunkAt?: number) => {
      if (finished) return;
      finished = true;
      const endedAt = performance.now();
      const model_group = observation.modelGroup;
      const code = error === undefined ? "OK" : (CODE_NAMES[ConnectError.from(error).code] ?? "UNKNOWN");
      const cacheHit = answer?.cache?.hit === true;
      const deployment = answer?.deploymentId || observation.deployment;
      const m = deps.metrics;
      if (m) {
        m.inFlight.dec({ model_group: requested });
        const byKey = m.keyAliasLabel ? { key_alias: keyAliasOf(req.contextValues) } : {};
        m.requests.inc({ model_group, call_type: callType, protocol, code, ...byKey });
        m.requestDuration.observe({ model_group, call_type: callType }, (endedAt - startedAt) / 1000);
        if (answer?.timings) m.gatewayOverhead.observe(answer.timings.gatewayOverheadMs / 1000);
        if (firstChunkAt !== undefined) m.timeToFirstToken.observe({ model_group }, (firstChunkAt - startedAt) / 1000);
        if (answer && !cacheHit && deployment) {
          const u = answer.usage;
          if (u?.promptTokens) m.tokens.inc({ model_group, deployment, kind: "prompt", ...byKey }, u.promptTokens);
          if (u?.completionTokens) m.tokens.inc({ model_group, deployment, kind: "completion", ...byKey }, u.completionTokens);
          if (u?.cachedPromptTokens) m.tokens.inc({ model_group, deployment, kind: "cached_prompt", ...byKey }, u.cachedPromptTokens);
          if (answer.costUsd) m.cost.inc({ model_group, deployment, ...byKey }, answer.costUsd);
        }
      }
      if (span) endSpans(span, observation, answer, error, code, deps.tracing!.settings.recordContent);
      const log = deps.accessLog;
      if (log && (error !== undefined || log.sampleRatio >= 1 || random() < log.sampleRatio)) {
        log.logger.info(
          {
            requestId,
            procedure: `${req.service.typeName}/${req.method.name}`,
            modelGroup: model_group,
            deployment,
            protocol,
            code,
            latencyMs: round(endedAt - startedAt),
            ttftMs: firstChunkAt === undefined ? undefined : round(firstChunkAt - startedAt),
            promptTokens: answer?.usage?.promptTokens ?? 0,
            completionTokens: answer?.usage?.completionTokens ?? 0,
            costUsd: answer?.costUsd ?? 0,
            cache: cacheHit ? "hit" : observation.cacheResult || "none",
            attempts: observation.attempts,
            error: error === undefined ? undefined : ConnectError.from(error).rawMessage,
          },
          "access",
        );
      }
    };

    try {
      const response = spanContext ? await context.with(spanContext, () => next(req)) : await next(req);
      response.header.set(REQUEST_ID_HEADER, requestId);
      if (!response.stream) {
        finish(response.message as Answer, undefined);
        return response;
      }
      response.trailer.set(REQUEST_ID_HEADER, requestId);
      const observed: StreamResponse = { ...response, message: observeStream(response.message as AsyncIterable<Answer>, spanContext, finish) as typeof response.message };
      return observed as typeof response;
    } catch (err) {
      if (err instanceof ConnectError) err.metadata.set(REQUEST_ID_HEADER, requestId);
      finish(undefined, err);
      throw err;
    }
  };
}

async function withRequestId<T extends { header: Headers; stream: boolean }>(
  next: (req: never) => Promise<T>,
  req: unknown,
  requestId: string,
): Promise<T> {
  try {
    const response = await next(req as never);
    response.header.set(REQUEST_ID_HEADER, requestId);
    return response;
  } catch (err) {
    if (err instanceof ConnectError) err.metadata.set(REQUEST_ID_HEADER, requestId);
    throw err;
  }
}

/**
 * The response stream, watched: the first chunk's time (TTFT), the final
 * chunk (usage, cost, timings) and how it ended. A plain iterator wrapper
 * rather than a generator, for the same per-chunk cost reason as the
 * error interceptor's. With tracing on, each pull runs in the request
 * span's context so the router's attempt spans and upstream calls join it.
 */
function observeStream(
  chunks: AsyncIterable<Answer>,
  spanContext: ReturnType<typeof context.active> | undefined,
  finish: (answer: Answer | undefined, error: unknown, firstChunkAt?: number) => void,
): AsyncIterable<Answer> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<Answer> {
      const inner = chunks[Symbol.asyncIterator]();
      let firstChunkAt: number | undefined;
      let last: Answer | undefined;
      const onResult = (result: IteratorResult<Answer>) => {
        if (result.done) finish(last, undefined, firstChunkAt);
        else {
          firstChunkAt ??= performance.now();
          if (result.value.usage || result.value.timings) last = result.value;
        }
        return result;
      };
      const onError = (err: unknown): never => {
        finish(last, err, firstChunkAt);
        throw err;
      };
      const pull = () => inner.next().then(onResult, onError);
      return {
        next: spanContext ? () => context.with(spanContext, pull) : pull,
        return: (value?: unknown) => {
          finish(last, new ConnectError("the client cancelled the stream", Code.Canceled), firstChunkAt);
          return inner.return ? inner.return(value) : Promise.resolve({ done: true as const, value: value as Answer });
        },
        throw: (err?: unknown) => {
          finish(last, err, firstChunkAt);
          return inner.throw ? inner.throw(err) : Promise.reject(err);
        },
      };
    },
  };
}

/** A streaming call's request message arrives as a stream of one: note its model group as it passes. */
async function* tapModel(messages: AsyncIterable<{ model?: string }>, observation: RequestObservation, span: Span | undefined) {
  for await (const message of messages) {
    if (!observation.modelGroup && message.model) {
      observation.modelGroup = message.model;
      span?.setAttribute("gen_ai.request.model", message.model);
      span?.updateName(`${observation.operation} ${message.model}`);
    }
    yield message;
  }
}

function endSpans(span: Span, observation: RequestObservation, answer: Answer | undefined, error: unknown, code: string, recordContent: boolean): void {
  const attempt = observation.openAttemptSpan;
  if (answer) {
    const attributes = {
      "gen_ai.response.model": answer.model ?? "",
      "gen_ai.response.id": answer.id ?? "",
      "gen_ai.usage.input_tokens": answer.usage?.promptTokens ?? 0,
      "gen_ai.usage.output_tokens": answer.usage?.completionTokens ?? 0,
      ...(answer.choices?.length ? { "gen_ai.response.finish_reasons": answer.choices.map((c) => finishReasonName(c.finishReason ?? 0)) } : {}),
    };
    span.setAttributes(attributes);
    attempt?.setAttributes(attributes);
    span.setAttributes({
      "switchyard.model_group": answer.modelGroup ?? "",
      "switchyard.deployment.id": answer.deploymentId ?? "",
      "switchyard.cost_usd": answer.costUsd ?? 0,
      "switchyard.cache.hit": answer.cache?.hit ?? false,
    });
    const text = answer.choices?.[0]?.message?.content;
    if (recordContent && text) span.setAttribute("gen_ai.output.messages", JSON.stringify([{ role: "assistant", parts: [{ type: "text", content: text }] }]));
  }
  span.setAttribute("rpc.grpc.status_code", CODE_NAMES.indexOf(code));
  span.setAttribute("switchyard.attempts", observation.attempts);
  if (error !== undefined) {
    span.setAttribute("error.type", code);
    span.setStatus({ code: SpanStatusCode.ERROR, message: ConnectError.from(error).rawMessage });
  }
  attempt?.end();
  span.end();
}

/** GenAI finish reasons are lower-case words ("stop", "length", "tool_calls"). */
function finishReasonName(reason: number): string {
  return ["unspecified", "stop", "length", "tool_calls", "content_filter", "error"][reason] ?? String(reason);
}

function protocolOf(contentType: string): string {
  if (contentType.startsWith("application/grpc-web")) return "grpc_web";
  if (contentType.startsWith("application/grpc")) return "grpc";
  return "connect";
}

function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

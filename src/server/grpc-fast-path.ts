import type http from "node:http";
import type http2 from "node:http2";
import { create, isMessage, toBinary, fromBinary, type DescMessage, type DescMethod } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  createContextValues,
  createHandlerContext,
  createServiceImplSpec,
  type ConnectRouter,
  type HandlerContext,
  type Interceptor,
  type MethodImplSpec,
  type StreamRequest,
  type StreamResponse,
  type UnaryRequest,
  type UnaryResponse,
} from "@connectrpc/connect";
import { compressionNegotiate, envelopeCompress, type Compression } from "@connectrpc/connect/protocol";
import { parseTimeout, setTrailerStatus } from "@connectrpc/connect/protocol-grpc";
import { compressionBrotli, compressionGzip } from "@connectrpc/connect-node";
import { InferenceService } from "../../gen/ts/switchyard/v1/inference_pb.js";
import { COMPRESSED_FLAG, EnvelopeSplitter, encodeEnvelope, type Envelope } from "./grpc-framing.js";
import { errorFromResetCode } from "./h2-reset-codes.js";

type NodeRequest = http.IncomingMessage | http2.Http2ServerRequest;
type NodeResponse = http.ServerResponse | http2.Http2ServerResponse;
export type NodeHandler = (req: NodeRequest, res: NodeResponse) => void;

/** What the fast path serves with; the same routes, interceptors and limits the connect handler gets. */
export interface GrpcFastPathDeps {
  routes: (r: ConnectRouter) => void;
  interceptors: Interceptor[];
  /** server_settings.max_request_bytes: connect's readMaxBytes. */
  maxRequestBytes: number;
  /** The connect handler's request gate (it corrects connect's codes for unreadable requests). */
  requestGate?: (context: HandlerContext) => void;
  /** Aborted when a drain's grace period runs out. */
  shutdownSignal: AbortSignal;
  /** Told when serving a call failed outside the call's own error handling (its stream is reset). */
  onFault?: (err: unknown) => void;
}

/** Off with SWITCHYARD_GRPC_FAST_PATH=0 (e.g. to compare against connect's handler); on otherwise. */
export function grpcFastPathEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.SWITCHYARD_GRPC_FAST_PATH !== "0";
}

/** Response compressions offered, in connect-node's default order, so both paths negotiate alike. */
const ACCEPT_COMPRESSION: Compression[] = [compressionGzip, compressionBrotli];
/** connect's default compressMinBytes: smaller messages are not worth compressing. */
const COMPRESS_MIN_BYTES = 1024;
const RESPONSE_CONTENT_TYPE = "application/grpc+proto";
/**
 * The abort reason a finished call's context ends with. connect ends it with
 * a fresh AbortError; the reason is read by nobody after the end, and a
 * DOMException per call was 8% of a cache hit's CPU. It is an AbortError all
 * the same, so code that checks the name still sees one.
 */
const CALL_ENDED = new DOMException("the call has ended", "AbortError");

/**
 * Serves the gRPC (binary protobuf, uncompressed request) form of
 * InferenceService's Complete and StreamComplete straight on Node's HTTP/2
 * request, and hands every other request to `handler` untouched.
 *
 * connect-node's generic pipeline (async-generator stages per message,
 * header conversions, the universal request/response layers) costs more
 * CPU per call than the gateway's own code; these two methods carry almost
 * all traffic. The call itself is connect's: the same service
 * implementation, the same interceptors in the same order over a request
 * object of connect's shape, the same HandlerContext (deadline, shutdown
 * and client-cancel signals, context values), and the same trailer
 * encoding, so clients cannot tell the paths apart.
 */
export function withGrpcFastPath(handler: NodeHandler, deps: GrpcFastPathDeps, enabled = grpcFastPathEnabled()): NodeHandler {
  if (!enabled) return handler;
  const methods = inferenceMethods(deps.routes);
  return (req, res) => {
    const spec = req.httpVersionMajor === 2 && req.method === "POST" ? methods.get(req.url ?? "") : undefined;
    if (!spec || !isPlainGrpc(req.headers)) return handler(req, res);
    const call = spec.kind === "unary" ? serveUnary : serveServerStream;
    call(spec as never, req as http2.Http2ServerRequest, res as http2.Http2ServerResponse, deps).catch((err: unknown) => {
      // Writing failed (the stream is gone) or a fault of ours: nothing left to tell the client but the reset.
      deps.onFault?.(err);
      if (!res.destroyed) res.destroy(err instanceof Error ? err : undefined);
    });
  };
}

/** gRPC with binary protobuf and an uncompressed request; JSON, gRPC-Web, Connect and compressed requests take connect's path. */
function isPlainGrpc(headers: http.IncomingHttpHeaders): boolean {
  const type = headers["content-type"];
  if (type !== "application/grpc" && type !== "application/grpc+proto") return false;
  const encoding = headers["grpc-encoding"];
  return encoding === undefined || encoding === "identity";
}

type Spec = MethodImplSpec & { method: DescMethod };

/** Request paths of Complete and StreamComplete, with the implementation the routes register for them. */
function inferenceMethods(routes: (r: ConnectRouter) => void): Map<string, Spec> {
  const methods = new Map<string, Spec>();
  const capture = {
    service(service: typeof InferenceService, impl: object) {
      if (service.typeName !== InferenceService.typeName) return capture;
      const spec = createServiceImplSpec(InferenceService, impl);
      for (const name of ["complete", "streamComplete"] as const) {
        const m = spec.methods[name] as Spec;
        methods.set(`/${InferenceService.typeName}/${m.method.name}`, m);
      }
      return capture;
    },
    rpc() {
      return capture;
    },
  };
  routes(capture as unknown as ConnectRouter);
  return methods;
}

/** One call's state, shared by the unary and streaming forms. */
interface Call {
  context: HandlerContext & { abort(reason?: unknown): void };
  /** Ends the call: releases its deadline timer and its listeners on the shutdown signal. */
  end(): void;
  /** The request message, read and parsed; rejects with connect's errors for a body it cannot read. */
  message: () => Promise<unknown>;
  compression: Compression | null;
}

function startCall(spec: Spec, req: http2.Http2ServerRequest, deps: GrpcFastPathDeps): Call {
  const headers = req.headers;
  const timeout = parseTimeout(single(headers["grpc-timeout"]), Number.MAX_SAFE_INTEGER);
  const requestAborted = new AbortController();
  let ended = false;
  // As connect-node: the stream closing (reset by the client, or gone before the answer) aborts the call's signal.
  // Once the call has ended nothing listens any more, and an AbortError would cost a stack trace per call.
  req.once("close", () => ended || requestAborted.abort(errorFromResetCode(req.stream.rstCode)));
  const context = createHandlerContext({
    ...spec,
    service: InferenceService,
    requestMethod: "POST",
    protocolName: "grpc",
    timeoutMs: timeout.timeoutMs,
    shutdownSignal: deps.shutdownSignal,
    requestSignal: requestAborted.signal,
    requestHeader: headerRecord(headers),
    url: `${req.scheme}://${req.authority}${req.url}`,
    responseHeader: { "content-type": RESPONSE_CONTENT_TYPE },
    responseTrailer: { "grpc-status": "0" },
    contextValues: createContextValues(),
  }) as Call["context"];
  const compression = responseCompression(single(headers["grpc-accept-encoding"]));
  if (compression) context.responseHeader.set("grpc-encoding", compression.name);
  deps.requestGate?.(context);
  let read: Promise<unknown> | undefined;
  const message = () => {
    // connect raises a bad grpc-timeout when it starts reading the request, so it reaches the client as the call's status.
    read ??= timeout.error ? Promise.reject(timeout.error) : readMessage(req, spec.method.input, deps.maxRequestBytes);
    return read;
  };
  const end = () => {
    ended = true;
    context.abort(CALL_ENDED);
  };
  return { context, end, message, compression };
}

/** The body's one message, parsed; connect's errors for a missing, extra, oversize, compressed or unparseable one. */
function readMessage(req: http2.Http2ServerRequest, schema: DescMessage, maxBytes: number): Promise<unknown> {
  // A streaming call reads its request inside the interceptors, a few turns after it arrived: the client may have reset it since.
  if (req.stream.destroyed) return Promise.reject(new ConnectError("the request ended before its body", Code.Canceled));
  return new Promise((resolve, reject) => {
    const splitter = new EnvelopeSplitter(maxBytes);
    const envelopes: Envelope[] = [];
    const fail = (err: unknown) => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("close", onClose);
      reject(err);
    };
    const onData = (chunk: Buffer) => {
      try {
        for (const envelope of splitter.push(chunk)) envelopes.push(envelope);
        if (envelopes.length > 1) fail(new ConnectError(`protocol error: received extra input message for ${kindName(req)} method`, Code.Unimplemented));
      } catch (err) {
        fail(err);
      }
    };
    const onEnd = () => {
      req.off("close", onClose);
      try {
        splitter.end();
        const envelope = envelopes[0];
        if (!envelope) throw new ConnectError(`protocol error: missing input message for ${kindName(req)} method`, Code.Unimplemented);
        if (envelope.flags & COMPRESSED_FLAG) throw new ConnectError("received compressed envelope, but do not know how to decompress", Code.Internal);
        resolve(parse(schema, envelope.data));
      } catch (err) {
        reject(err);
      }
    };
    // Reset before the body ended: the call's signal carries why.
    const onClose = () => fail(new ConnectError("the request ended before its body", Code.Canceled));
    req.on("data", onData);
    req.once("end", onEnd);
    req.once("close", onClose);
  });
}

function kindName(req: http2.Http2ServerRequest): string {
  return req.url.endsWith("/StreamComplete") ? "server-streaming" : "unary";
}

/** As connect's binary serialization: an unparseable body is INTERNAL "parse binary: …" (the request gate makes it INVALID_ARGUMENT). */
function parse(schema: DescMessage, data: Uint8Array): unknown {
  try {
    return fromBinary(schema, data);
  } catch (e) {
    throw new ConnectError(`parse binary: ${e instanceof Error ? e.message : String(e)}`, Code.Internal);
  }
}

/** As connect: an implementation may answer with a plain object of the message's shape. */
function normalize(schema: DescMessage, message: unknown) {
  return isMessage(message, schema) ? message : create(schema, message as never);
}

function serialize(schema: DescMessage, message: unknown): Uint8Array {
  return toBinary(schema, normalize(schema, message));
}

async function envelope(call: Call, schema: DescMessage, message: unknown): Promise<Buffer> {
  const data = serialize(schema, message);
  if (!call.compression || data.length < COMPRESS_MIN_BYTES) return encodeEnvelope(0, data);
  const compressed = await envelopeCompress({ flags: 0, data }, call.compression, COMPRESS_MIN_BYTES);
  return encodeEnvelope(compressed.flags, compressed.data);
}

/** The fields connect puts on every request an interceptor sees. */
function requestCommon(call: Call) {
  const { context } = call;
  return {
    service: InferenceService,
    requestMethod: "POST",
    url: context.url,
    signal: context.signal,
    header: context.requestHeader,
    contextValues: context.values,
  };
}

/** What the implementation receives as its context, as connect merges it from the request the interceptors pass on. */
function handlerContext(call: Call, req: { service: unknown; header: Headers; signal: AbortSignal; contextValues: HandlerContext["values"] }): HandlerContext {
  return { ...call.context, service: req.service as HandlerContext["service"], requestHeader: req.header, signal: req.signal, values: req.contextValues };
}

async function serveUnary(spec: Spec & { kind: "unary" }, req: http2.Http2ServerRequest, res: http2.Http2ServerResponse, deps: GrpcFastPathDeps): Promise<void> {
  const call = startCall(spec, req, deps);
  const { context } = call;
  const output = spec.method.output;
  let body: Buffer | undefined;
  let header = context.responseHeader;
  let trailer = context.responseTrailer;
  try {
    // As connect: the request is read before the interceptors run.
    const message = await call.message();
    const invoke = async (r: UnaryRequest): Promise<UnaryResponse> => ({
      stream: false,
      method: spec.method,
      service: InferenceService,
      message: normalize(output, await spec.impl(r.message as never, handlerContext(call, r))),
      header: context.responseHeader,
      trailer: context.responseTrailer,
    }) as unknown as UnaryResponse;
    const next = deps.interceptors.reduceRight((n, i) => i(n as never) as typeof invoke, invoke);
    const response = await next({ stream: false, message, method: spec.method, ...requestCommon(call) } as UnaryRequest);
    header = response.header;
    trailer = response.trailer;
    body = await envelope(call, output, response.message);
  } catch (err) {
    failCall(call, trailer, err);
  }
  if (streamGone(res)) return call.end();
  res.writeHead(200, nodeHeaders(header));
  res.addTrailers(nodeHeaders(trailer));
  if (body) res.end(body);
  else res.end();
  call.end();
}

async function serveServerStream(
  spec: Spec & { kind: "server_streaming" },
  req: http2.Http2ServerRequest,
  res: http2.Http2ServerResponse,
  deps: GrpcFastPathDeps,
): Promise<void> {
  const call = startCall(spec, req, deps);
  const { context } = call;
  const output = spec.method.output;
  let header = context.responseHeader;
  let trailer = context.responseTrailer;
  let chunks: AsyncIterator<unknown> | undefined;
  let done = false;
  try {
    // As connect: the request message is read inside the interceptors (auth reads it to learn the model group).
    const requestMessages: AsyncIterable<unknown> = {
      async *[Symbol.asyncIterator]() {
        yield await call.message();
      },
    };
    const invoke = async (r: StreamRequest): Promise<StreamResponse> => {
      const it = r.message[Symbol.asyncIterator]();
      const first = await it.next();
      if (first.done) throw new ConnectError("protocol error: missing input message for server-streaming method", Code.Unimplemented);
      if (!(await it.next()).done) throw new ConnectError("protocol error: received extra input message for server-streaming method", Code.Unimplemented);
      return {
        stream: true,
        method: spec.method,
        service: InferenceService,
        message: (spec.impl as (m: unknown, c: HandlerContext) => AsyncIterable<unknown>)(first.value, handlerContext(call, r)),
        header: context.responseHeader,
        trailer: context.responseTrailer,
      } as StreamResponse;
    };
    const next = deps.interceptors.reduceRight((n, i) => i(n as never) as typeof invoke, invoke);
    const response = await next({ stream: true, message: requestMessages, method: spec.method, ...requestCommon(call) } as StreamRequest);
    header = response.header;
    chunks = response.message[Symbol.asyncIterator]();
    // Headers go out with the first chunk, as connect sends them: the implementation may still set some until then.
    for (let r = await chunks.next(); !r.done; r = await chunks.next()) {
      if (streamGone(res)) break;
      if (!res.headersSent) res.writeHead(200, nodeHeaders(header));
      if (!res.write(await envelope(call, output, r.value))) await drained(res);
    }
    done = true;
    trailer = response.trailer;
  } catch (err) {
    done = true;
    failCall(call, trailer, err);
  } finally {
    // The client went away mid-stream: let the layers below stop (and observability record the cancel).
    if (!done) await chunks?.return?.().catch(() => undefined);
  }
  if (streamGone(res)) return call.end();
  if (!res.headersSent) res.writeHead(200, nodeHeaders(header));
  res.addTrailers(nodeHeaders(trailer));
  res.end();
  call.end();
}

/** As connect's gRPC handler: abort the call's context with the error (the request gate may correct its code), then put its status in the trailers. */
function failCall(call: Call, trailer: Headers, err: unknown): void {
  call.context.abort(err);
  setTrailerStatus(trailer, err instanceof ConnectError ? err : new ConnectError("internal error", Code.Internal, undefined, undefined, err));
}

/** Resolves when the response can take more bytes, or the stream is gone. */
function drained(res: http2.Http2ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}

/** The stream was closed or reset: nothing more can be written. */
function streamGone(res: http2.Http2ServerResponse): boolean {
  return res.stream.destroyed || res.stream.closed;
}

function single(value: string | string[] | undefined): string | null {
  return value === undefined ? null : Array.isArray(value) ? value.join(",") : value;
}

/** The request's headers without HTTP/2 pseudo-headers; createHandlerContext makes its Headers from it (one Headers per call, not two). */
function headerRecord(headers: http2.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key in headers) {
    if (key.charCodeAt(0) === 58 /* ":" pseudo-header */) continue;
    const value = headers[key];
    if (typeof value === "string") out[key] = value;
    else if (value) out[key] = value.join(", ");
  }
  return out;
}

/** Response compression by grpc-accept-encoding, as connect negotiates it; clients send one of a few values, so remembered. */
const negotiated = new Map<string | null, Compression | null>();
function responseCompression(accepted: string | null): Compression | null {
  let compression = negotiated.get(accepted);
  if (compression === undefined) {
    compression = compressionNegotiate(ACCEPT_COMPRESSION, null, accepted, "grpc-accept-encoding").response;
    if (negotiated.size < 64) negotiated.set(accepted, compression);
  }
  return compression;
}

function nodeHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, key) => (out[key] = value));
  return out;
}

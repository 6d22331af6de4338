import { fromBinary, toBinary, create } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import http2 from "node:http2";
import { Writable } from "node:stream";
import { InMemorySpanExporter } from "@opentelemetry/sdk-trace-base";
import { pino } from "pino";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CompletionRequestSchema,
  ModelResponseSchema,
  ModelResponseChunkSchema,
} from "../../gen/ts/switchyard/v1/inference_pb.js";
import { startGateway, type Gateway } from "../../src/server/gateway.js";
import { FakeClock } from "../support/fake-clock.js";
import { configFromYaml } from "../support/gateway.js";
import { waitUntil } from "../support/wait-until.js";

/**
 * Issue 12, part 4: plain gRPC Complete/StreamComplete are served on a
 * direct HTTP/2 fast path. Every case here goes to two gateways from one
 * config, one with the fast path and one without (connect's handler), and
 * the answers must mean the same: status, message, details, headers the
 * client reads, and the response messages.
 */
const MAX_REQUEST_BYTES = 64 * 1024;
const config = () =>
  configFromYaml(
    JSON.stringify({
      model_list: [
        { model_name: "mock", provider: "mock", params: { model: "mock-1", mock: { chunk_count: 4 } } },
        { model_name: "parked", provider: "mock", params: { model: "mock-1", mock: { latency_ms: 60_000 } } },
      ],
      server_settings: { max_request_bytes: MAX_REQUEST_BYTES },
    }),
  );

let fast: Gateway;
let connect: Gateway;
const fastClock = new FakeClock();
const connectClock = new FakeClock();

beforeAll(async () => {
  [fast, connect] = await Promise.all([
    startGateway({ config: config(), port: 0, host: "127.0.0.1", clock: fastClock, grpcFastPath: true }),
    startGateway({ config: config(), port: 0, host: "127.0.0.1", clock: connectClock, grpcFastPath: false }),
  ]);
});
afterAll(() => Promise.all([fast.close(0), connect.close(0)]));

const COMPLETE = "/switchyard.v1.InferenceService/Complete";
const STREAM = "/switchyard.v1.InferenceService/StreamComplete";

function frame(payload: Uint8Array, flags = 0): Buffer {
  const head = Buffer.alloc(5);
  head[0] = flags;
  head.writeUInt32BE(payload.length, 1);
  return Buffer.concat([head, payload]);
}

const request = (model = "mock", content = "hello there") =>
  Buffer.from(toBinary(CompletionRequestSchema, create(CompletionRequestSchema, { model, messages: [{ role: "user", content }] })));

interface Answer {
  status: number;
  headers: http2.IncomingHttpHeaders;
  trailers: http2.IncomingHttpHeaders;
  /** The response's length-prefixed messages, unwrapped. */
  messages: Buffer[];
  /** grpc-status, grpc-message (decoded) and grpc-status-details-bin, wherever they came. */
  grpc: { status: string; message: string; details?: string };
}

/** One raw HTTP/2 call; `body` is written piece by piece, one DATA frame each. */
function call(
  gateway: Gateway,
  path: string,
  body: Buffer[],
  headers: http2.OutgoingHttpHeaders = {},
  onStream?: (stream: http2.ClientHttp2Stream) => void,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(gateway.url);
    session.on("error", reject);
    const stream = session.request({ ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers", ...headers });
    let responseHeaders: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    const data: Buffer[] = [];
    stream.on("response", (h) => (responseHeaders = h));
    stream.on("trailers", (t) => (trailers = t));
    stream.on("data", (chunk: Buffer) => data.push(chunk));
    stream.on("error", reject);
    stream.on("close", () => {
      session.close();
      const all = { ...responseHeaders, ...trailers };
      resolve({
        status: Number(responseHeaders[":status"]),
        headers: responseHeaders,
        trailers,
        messages: unframe(Buffer.concat(data)),
        grpc: {
          status: String(all["grpc-status"]),
          message: decodeURIComponent(String(all["grpc-message"] ?? "")),
          details: all["grpc-status-details-bin"] as string | undefined,
        },
      });
    });
    onStream?.(stream);
    void (async () => {
      for (const piece of body) {
        stream.write(piece);
        // A turn of the event loop between pieces, so each leaves as its own DATA frame.
        await new Promise((r) => setImmediate(r));
      }
      stream.end();
    })();
  });
}

function unframe(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at + 5 <= bytes.length; ) {
    const length = bytes.readUInt32BE(at + 1);
    out.push(bytes.subarray(at + 5, at + 5 + length));
    at += 5 + length;
  }
  return out;
}

/** The same call against both gateways. */
async function both(path: string, body: Buffer[], headers: http2.OutgoingHttpHeaders = {}) {
  const [a, b] = await Promise.all([call(fast, path, body, headers), call(connect, path, body, headers)]);
  return { fast: a, connect: b };
}

/** What a client reads from a failed call, minus the request id each gateway makes up. */
function failure(answer: Answer) {
  return { status: answer.status, contentType: answer.headers["content-type"], grpc: answer.grpc, messages: answer.messages.length };
}

describe("the gRPC fast path answers as connect's handler does", () => {
  it("a unary call: same headers the client reads, same trailers, same answer", async () => {
    const { fast: f, connect: c } = await both(COMPLETE, [frame(request())], { "x-request-id": "req-1" });
    for (const a of [f, c]) {
      expect(a.status).toBe(200);
      expect(a.grpc.status).toBe("0");
      expect(a.headers["content-type"]).toBe("application/grpc+proto");
      expect(a.headers["x-request-id"]).toBe("req-1");
      expect(a.messages).toHaveLength(1);
    }
    const [rf, rc] = [f, c].map((a) => fromBinary(ModelResponseSchema, a.messages[0]!));
    expect(rf.choices[0]!.message!.content).toBe(rc.choices[0]!.message!.content);
    expect(rf.choices[0]!.message!.content).toContain("hello there");
    expect(rf.usage).toEqual(rc.usage);
    expect(rf.modelGroup).toBe("mock");
  });

  it("a message split across DATA frames, even inside its length prefix", async () => {
    const whole = frame(request());
    const pieces = [whole.subarray(0, 2), whole.subarray(2, 5), whole.subarray(5, 9), whole.subarray(9)];
    const { fast: f, connect: c } = await both(COMPLETE, pieces);
    expect(f.grpc.status).toBe("0");
    expect(fromBinary(ModelResponseSchema, f.messages[0]!).choices[0]!.message!.content).toBe(
      fromBinary(ModelResponseSchema, c.messages[0]!).choices[0]!.message!.content,
    );
  });

  it("a server stream: every chunk, the same text, the request id in the trailers", async () => {
    const { fast: f, connect: c } = await both(STREAM, [frame(request())], { "x-request-id": "req-2" });
    for (const a of [f, c]) {
      expect(a.grpc.status).toBe("0");
      expect(a.headers["x-request-id"]).toBe("req-2");
      expect(a.trailers["x-request-id"]).toBe("req-2");
    }
    const text = (a: Answer) => a.messages.map((m) => fromBinary(ModelResponseChunkSchema, m).choices[0]?.delta?.content ?? "").join("");
    expect(f.messages.length).toBe(c.messages.length);
    expect(text(f)).toBe(text(c));
    expect(text(f)).toContain("hello there");
  });

  it("a zero-length message: the empty request, refused by validation with the same details", async () => {
    const { fast: f, connect: c } = await both(COMPLETE, [frame(Buffer.alloc(0))]);
    expect(f.grpc.status).toBe(String(Code.InvalidArgument));
    expect(failure(f)).toEqual(failure(c));
    expect(f.grpc.details).toBeDefined();
  });

  it("two messages to a unary method", async () => {
    const { fast: f, connect: c } = await both(COMPLETE, [frame(request()), frame(request())]);
    expect(f.grpc.status).toBe(String(Code.Unimplemented));
    expect(failure(f)).toEqual(failure(c));
  });

  it("no message at all", async () => {
    for (const path of [COMPLETE, STREAM]) {
      const { fast: f, connect: c } = await both(path, []);
      expect(f.grpc.status).toBe(String(Code.Unimplemented));
      expect(failure(f)).toEqual(failure(c));
    }
  });

  it("a length prefix over max_request_bytes is refused before the body arrives", async () => {
    const head = Buffer.alloc(5);
    head.writeUInt32BE(MAX_REQUEST_BYTES + 1, 1);
    for (const path of [COMPLETE, STREAM]) {
      const { fast: f, connect: c } = await both(path, [head]);
      expect(f.grpc.status).toBe(String(Code.InvalidArgument));
      expect(f.grpc.message).toContain("max_request_bytes");
      expect(failure(f)).toEqual(failure(c));
    }
  });

  it("a truncated message", async () => {
    const { fast: f, connect: c } = await both(COMPLETE, [frame(request()).subarray(0, 12)]);
    expect(f.grpc.status).toBe(String(Code.InvalidArgument));
    expect(failure(f)).toEqual(failure(c));
  });

  it("bytes that are no protobuf", async () => {
    const garbage = Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x01, 0x02]);
    for (const path of [COMPLETE, STREAM]) {
      const { fast: f, connect: c } = await both(path, [frame(garbage)]);
      expect(f.grpc.status).toBe(String(Code.InvalidArgument));
      expect(f.grpc.message).toContain("not a valid protobuf message");
      expect(failure(f)).toEqual(failure(c));
    }
  });

  it("a compressed message without grpc-encoding", async () => {
    const { fast: f, connect: c } = await both(COMPLETE, [frame(gzipSync(request()), 1)]);
    expect(f.grpc.status).toBe(String(Code.Internal));
    expect(failure(f)).toEqual(failure(c));
  });

  it("a malformed grpc-timeout", async () => {
    for (const path of [COMPLETE, STREAM]) {
      const { fast: f, connect: c } = await both(path, [frame(request())], { "grpc-timeout": "soon" });
      expect(f.grpc.status).toBe(String(Code.InvalidArgument));
      expect(failure(f)).toEqual(failure(c));
    }
  });

  it("an unknown model: the router's NOT_FOUND with its details", async () => {
    const { fast: f, connect: c } = await both(COMPLETE, [frame(request("no-such-model"))]);
    expect(f.grpc.status).toBe(String(Code.NotFound));
    expect(failure(f)).toEqual(failure(c));
  });

  it("gzip and unknown encodings are left to connect's handler", async () => {
    const gz = await both(COMPLETE, [frame(gzipSync(request()), 1)], { "grpc-encoding": "gzip" });
    expect(gz.fast.grpc.status).toBe("0");
    expect(gz.connect.grpc.status).toBe("0");
    const unknown = await both(COMPLETE, [frame(request())], { "grpc-encoding": "snappy" });
    expect(unknown.fast.grpc.status).toBe(String(Code.Unimplemented));
    expect(failure(unknown.fast)).toEqual(failure(unknown.connect));
  });

  it("a large answer is compressed as the client accepts, as connect does", async () => {
    const long = "many words ".repeat(300);
    const { fast: f, connect: c } = await both(COMPLETE, [frame(request("mock", long))], { "grpc-accept-encoding": "gzip" });
    for (const a of [f, c]) {
      expect(a.grpc.status).toBe("0");
      expect(a.headers["grpc-encoding"]).toBe("gzip");
    }
  });

  it("a deadline that passes while the upstream works: DEADLINE_EXCEEDED", async () => {
    for (const path of [COMPLETE, STREAM]) {
      const { fast: f, connect: c } = await both(path, [frame(request("parked"))], { "grpc-timeout": "20m" });
      expect(f.grpc.status).toBe(String(Code.DeadlineExceeded));
      expect(failure(f)).toEqual(failure(c));
    }
  });

  it("a client cancel (RST_STREAM CANCEL) stops the call and is counted as a cancel", async () => {
    for (const [gateway, clock] of [
      [fast, fastClock],
      [connect, connectClock],
    ] as const) {
      for (const path of [COMPLETE, STREAM]) {
        const before = gateway.callCounters.cancelled;
        const pending = clock.pending;
        let stream!: http2.ClientHttp2Stream;
        const answer = call(gateway, path, [frame(request("parked"))], {}, (s) => (stream = s));
        // The call is parked upstream on the fake clock: cancel it there.
        await clock.whenPending((n) => n > pending);
        stream.close(http2.constants.NGHTTP2_CANCEL);
        await answer;
        await waitUntil(() => gateway.callCounters.cancelled === before + 1);
        await clock.whenPending((n) => n === pending);
      }
    }
  });
});

describe("observability on the fast path", () => {
  /** A gateway with the access log on (every call) and spans kept in memory, with or without the fast path. */
  const observed = async (grpcFastPath: boolean) => {
    const lines: Array<Record<string, unknown>> = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString("utf8").split("\n")) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    const spans = new InMemorySpanExporter();
    const gateway = await startGateway({
      config: configFromYaml(
        JSON.stringify({
          model_list: [{ model_name: "mock", provider: "mock", params: { model: "mock-1" } }],
          observability: { access_log: { sample_ratio: 1 } },
        }),
      ),
      port: 0,
      host: "127.0.0.1",
      logger: pino({ level: "info" }, sink),
      observability: { spanExporter: spans },
      grpcFastPath,
    });
    return { gateway, lines, spans };
  };
  let a: Awaited<ReturnType<typeof observed>>;
  let b: Awaited<ReturnType<typeof observed>>;
  beforeAll(async () => {
    [a, b] = await Promise.all([observed(true), observed(false)]);
  });
  afterAll(() => Promise.all([a.gateway.close(0), b.gateway.close(0)]));

  const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
  const accessLines = (lines: Array<Record<string, unknown>>, requestId: string) =>
    lines.filter((l) => l.msg === "access" && l.requestId === requestId).map(({ latencyMs: _l, ttftMs: _t, time: _time, pid: _p, hostname: _h, ...rest }) => rest);

  it("writes the same access-log line and the same request span, under the caller's traceparent", async () => {
    for (const [path, model, id] of [
      [COMPLETE, "mock", "obs-unary"],
      [STREAM, "mock", "obs-stream"],
      [COMPLETE, "nope", "obs-failed"],
    ] as const) {
      const headers = { "x-request-id": id, traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01` };
      await Promise.all([call(a.gateway, path, [frame(request(model))], headers), call(b.gateway, path, [frame(request(model))], headers)]);
      const [fastLine, connectLine] = [accessLines(a.lines, id), accessLines(b.lines, id)];
      expect(fastLine).toHaveLength(1);
      expect(fastLine).toEqual(connectLine);
      expect(fastLine[0]!.protocol).toBe("grpc");
    }
    const requestSpans = (spans: InMemorySpanExporter) =>
      spans
        .getFinishedSpans()
        .filter((s) => s.kind === 1)
        .map((s) => ({ name: s.name, traceId: s.spanContext().traceId, parent: s.parentSpanContext?.spanId, status: s.status.code, attributes: { ...s.attributes, "switchyard.request_id": undefined, "gen_ai.response.id": undefined } }));
    const fastSpans = requestSpans(a.spans);
    expect(fastSpans).toHaveLength(3);
    expect(fastSpans.every((s) => s.traceId === TRACE_ID && s.parent === "00f067aa0ba902b7")).toBe(true);
    expect(fastSpans).toEqual(requestSpans(b.spans));
  });
});

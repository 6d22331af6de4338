import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import http2 from "node:http2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BadRequestSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { InferenceService } from "../../gen/ts/switchyard/v1/inference_pb.js";
import type { Gateway } from "../../src/server/gateway.js";
import { startTestGateway } from "../support/gateway.js";

/**
 * Issue 11, faults 5 and 7: what the gateway answers to bodies it cannot
 * or will not read, and to requests shaped to cost memory.
 */
let gateway: Gateway;
let connect: Client<typeof InferenceService>;
let grpc: Client<typeof InferenceService>;

const MAX_REQUEST_BYTES = 256 * 1024;

beforeAll(async () => {
  gateway = await startTestGateway(
    JSON.stringify({
      model_list: [{ model_name: "mock", provider: "mock", params: { model: "mock-1" } }],
      server_settings: { max_request_bytes: MAX_REQUEST_BYTES, max_messages: 100, max_message_bytes: 16 * 1024, max_request_retries: 3 },
    }),
  );
  connect = createClient(InferenceService, createConnectTransport({ baseUrl: gateway.url, httpVersion: "1.1" }));
  grpc = createClient(InferenceService, createGrpcTransport({ baseUrl: gateway.url }));
});
afterAll(() => gateway.close(0));

/** Bytes that are no valid CompletionRequest: field 1 (model) announces 2^35 bytes of string. */
const GARBAGE = Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x01, 0x02]);
const PATH = "/switchyard.v1.InferenceService/Complete";

function grpcFrame(payload: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(payload.length, 1);
  return Buffer.concat([head, payload]);
}

/** One raw gRPC call over HTTP/2; resolves with the trailers' status. */
function rawGrpc(body: Buffer): Promise<{ status: string; message: string }> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(gateway.url);
    session.on("error", reject);
    const stream = session.request({ ":method": "POST", ":path": PATH, "content-type": "application/grpc+proto", te: "trailers" });
    let headers: http2.IncomingHttpHeaders = {};
    stream.on("response", (h) => (headers = h));
    stream.on("trailers", (trailers) => {
      const all = { ...headers, ...trailers };
      resolve({ status: String(all["grpc-status"]), message: decodeURIComponent(String(all["grpc-message"] ?? "")) });
      session.close();
    });
    stream.on("data", () => undefined);
    stream.on("error", reject);
    stream.end(body);
  });
}

describe("bodies the gateway cannot read", () => {
  it("answers garbage protobuf in a valid gRPC frame with INVALID_ARGUMENT, not INTERNAL", async () => {
    const { status, message } = await rawGrpc(grpcFrame(GARBAGE));
    expect(status).toBe(String(Code.InvalidArgument));
    expect(message).toContain("not a valid protobuf message");
  });

  it("answers garbage Connect application/proto with HTTP 400 invalid_argument, not 500", async () => {
    const res = await fetch(`${gateway.url}${PATH}`, { method: "POST", headers: { "content-type": "application/proto" }, body: GARBAGE });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { code: string }).code).toBe("invalid_argument");
  });

  it("answers an oversize body with a status clients do not retry (HTTP 400, not 429)", async () => {
    const big = JSON.stringify({ model: "mock", messages: [{ role: "user", content: "x".repeat(MAX_REQUEST_BYTES + 10) }] });
    const res = await fetch(`${gateway.url}${PATH}`, { method: "POST", headers: { "content-type": "application/json" }, body: big });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { code: string; message: string };
    expect(body.code).toBe("invalid_argument");
    expect(body.message).toContain("max_request_bytes");
  });

  it("answers an oversize gRPC message with INVALID_ARGUMENT", async () => {
    const err = await grpc.complete({ model: "mock", messages: [{ role: "user", content: "x".repeat(MAX_REQUEST_BYTES + 10) }] }).catch((e: unknown) => ConnectError.from(e));
    expect((err as ConnectError).code).toBe(Code.InvalidArgument);
  });

  it("still serves a well-formed call after all of the above", async () => {
    const answer = await grpc.complete({ model: "mock", messages: [{ role: "user", content: "hi" }] });
    expect(answer.choices[0]?.message?.content).toContain("hi");
  });
});

describe("shape limits", () => {
  const violation = async (call: Promise<unknown>) => {
    const err = ConnectError.from(await call.then(() => new Error("expected a failure"), (e: unknown) => e));
    expect(err.code).toBe(Code.InvalidArgument);
    return { field: err.findDetails(BadRequestSchema)[0]?.fieldViolations[0]?.field, message: err.rawMessage };
  };

  it("refuses more than max_messages messages, naming messages", async () => {
    const messages = Array.from({ length: 101 }, () => ({ role: "user", content: "hi" }));
    expect(await violation(connect.complete({ model: "mock", messages }))).toMatchObject({ field: "messages" });
  });

  it("refuses a message over max_message_bytes, naming it", async () => {
    const messages = [{ role: "user", content: "ok" }, { role: "user", content: "x".repeat(16 * 1024 + 1) }];
    const { field, message } = await violation(connect.complete({ model: "mock", messages }));
    expect(field).toBe("messages[1]");
    expect(message).toContain("max_message_bytes");
  });

  it("refuses a model name over max_model_name_bytes and keeps the error small", async () => {
    const res = await fetch(`${gateway.url}${PATH}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "m".repeat(200_000), messages: [{ role: "user", content: "hi" }] }),
    });
    const text = await res.text();
    expect(res.status).toBe(400);
    expect(text.length).toBeLessThan(4096);
    expect(text).toContain("max_model_name_bytes");
  });

  it("refuses options.num_retries above max_request_retries, naming the field, before any upstream call; at the bound it is served", async () => {
    for (const client of [grpc, connect]) {
      const ask = (numRetries: number) => client.complete({ model: "mock", messages: [{ role: "user", content: "hi" }], options: { numRetries } });
      const err = await ask(4_000_000_000).catch((e: unknown) => ConnectError.from(e));
      expect((err as ConnectError).code).toBe(Code.InvalidArgument);
      expect((err as ConnectError).rawMessage).toBe("options.num_retries: at most 3 (server_settings.max_request_retries), got 4000000000");
      const [badRequest] = (err as ConnectError).findDetails(BadRequestSchema);
      expect(badRequest!.fieldViolations[0]!.field).toBe("options.num_retries");
      expect((await ask(3)).attempts).toHaveLength(1);
    }
  });

  it("refuses routing options shaped to cost memory or CPU per pick: too many or too long tags, a long affinity key", async () => {
    const ask = (options: Record<string, unknown>) =>
      grpc.complete({ model: "mock", messages: [{ role: "user", content: "hi" }], options }).catch((e: unknown) => ConnectError.from(e));
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ tags: Array.from({ length: 65 }, (_, i) => `t${i}`) }, "options.tags", "at most 64 tags, got 65"],
      [{ tags: ["ok", "x".repeat(100_000)] }, "options.tags[1]", "is 100000 bytes, more than 256"],
      [{ affinityKey: "k".repeat(100_000) }, "options.affinity_key", "is 100000 bytes, more than 1024"],
    ];
    for (const [options, field, why] of cases) {
      const err = (await ask(options)) as ConnectError;
      expect(err.code).toBe(Code.InvalidArgument);
      expect(err.rawMessage).toBe(`${field}: ${why}`);
      expect(err.rawMessage.length).toBeLessThan(200); // the value is not echoed
    }
    // At the bounds: served.
    const served = await grpc.complete({ model: "mock", messages: [{ role: "user", content: "hi" }], options: { affinityKey: "k".repeat(1024) } });
    expect(served.choices).toHaveLength(1);
  });

  it("does not echo an unknown (but short enough) model name at length", async () => {
    const err = await connect.complete({ model: "ü".repeat(100), messages: [{ role: "user", content: "hi" }] }).catch((e: unknown) => ConnectError.from(e));
    expect((err as ConnectError).code).toBe(Code.NotFound);
    expect((err as ConnectError).rawMessage).toContain("(100 chars)");
  });
});

import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Gateway } from "../../src/server/gateway.js";
import { FakeClock } from "../support/fake-clock.js";
import { waitUntil } from "../support/wait-until.js";
import { startTestGateway } from "../support/gateway.js";

/**
 * An independent gRPC implementation (@grpc/grpc-js, schema loaded from
 * the .proto files at run time) talking to the gateway: proves wire
 * compatibility beyond our own Connect stack.
 */
const PROTO_ROOT = path.resolve(import.meta.dirname, "../../proto");
const definition = protoLoader.loadSync("switchyard/v1/inference.proto", {
  includeDirs: [PROTO_ROOT],
  keepCase: true,
  longs: String,
  enums: String,
  defaults: false,
  oneofs: true,
});
const loaded = grpc.loadPackageDefinition(definition) as unknown as {
  switchyard: { v1: { InferenceService: grpc.ServiceClientConstructor } };
};

// `fast` answers at once; `parked` waits on a fake clock the test controls,
// so "the upstream is still working" is a state we can observe, not a sleep.
const CONFIG = JSON.stringify({
  model_list: [
    { model_name: "fast", provider: "mock", params: { mock: { chunk_count: 3 } } },
    { model_name: "parked", provider: "mock", params: { mock: { latency_ms: 60_000, chunk_count: 3 } } },
    { model_name: "slow-stream", provider: "mock", params: { mock: { chunk_count: 4, chunk_delay_ms: 60_000 } } },
    { model_name: "limited", provider: "mock", params: { mock: { failure_rate: 1, failure_kind: "rate-limited" } } },
  ],
});

let gateway: Gateway;
let clock: FakeClock;
let client: grpc.Client & Record<string, (...args: unknown[]) => unknown>;

beforeAll(async () => {
  clock = new FakeClock();
  gateway = await startTestGateway(CONFIG, { clock });
  client = new loaded.switchyard.v1.InferenceService(`127.0.0.1:${gateway.port}`, grpc.credentials.createInsecure()) as typeof client;
});
afterAll(async () => {
  client.close();
  await gateway.close(0);
});

const ask = (model: string, content = "hello grpc-js") => ({ model, messages: [{ role: "user", content }] });

function unary(method: string, request: object, options: grpc.CallOptions = {}): Promise<Record<string, any>> {
  return new Promise((resolve, reject) => {
    (client[method] as Function).call(client, request, new grpc.Metadata(), options, (err: grpc.ServiceError | null, res: any) =>
      err ? reject(err) : resolve(res),
    );
  });
}


describe("@grpc/grpc-js client", () => {
  it("calls Complete", async () => {
    const response = await unary("Complete", ask("fast"));
    expect(response.choices[0].message.content).toBe("This is a mock response to: hello grpc-js");
    expect(response.choices[0].finish_reason).toBe("FINISH_REASON_STOP");
    expect(response.model_group).toBe("fast");
  });

  it("reads a server stream chunk by chunk", async () => {
    const chunks: any[] = [];
    const call = (client.StreamComplete as Function).call(client, ask("fast")) as grpc.ClientReadableStream<any>;
    for await (const chunk of call) chunks.push(chunk);
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("")).toBe("This is a mock response to: hello grpc-js");
    expect(chunks.at(-1).usage.total_tokens).toBeGreaterThan(0);
  });

  it("gets DEADLINE_EXCEEDED when the deadline passes, and the upstream work is abandoned", async () => {
    const pendingBefore = clock.pending;
    const failure = unary("Complete", ask("parked"), { deadline: Date.now() + 1_000 }).catch((e: grpc.ServiceError) => e);
    // The mock is parked waiting for "upstream latency", beside the router's attempt timeout (also on the clock).
    await waitUntil(() => clock.pending === pendingBefore + 2);
    const err = (await failure) as grpc.ServiceError;
    expect(err.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    await waitUntil(() => clock.pending === pendingBefore); // the deadline aborted the upstream wait
  });

  it("cancelling a stream mid-way stops the upstream", async () => {
    const pendingBefore = clock.pending;
    const call = (client.StreamComplete as Function).call(client, ask("slow-stream")) as grpc.ClientReadableStream<any>;
    const first = await new Promise<any>((resolve) => call.once("data", resolve));
    expect(first.choices[0].delta.role).toBe("assistant");
    // The mock waits before chunk 2, beside the router's idle timeout between chunks (also on the clock).
    await waitUntil(() => clock.pending === pendingBefore + 2);
    const ended = new Promise<grpc.ServiceError>((resolve) => call.once("error", resolve));
    call.cancel();
    expect((await ended).code).toBe(grpc.status.CANCELLED);
    await waitUntil(() => clock.pending === pendingBefore); // the server saw the cancel and stopped the mock
  });

  it("maps errors to status codes with a readable message", async () => {
    const notFound = (await unary("Complete", ask("no-such-model")).catch((e) => e)) as grpc.ServiceError;
    expect(notFound.code).toBe(grpc.status.NOT_FOUND);
    expect(notFound.details).toContain('model "no-such-model" is not a model group');

    const invalid = (await unary("Complete", { model: "fast", messages: [{ role: "robot", content: "x" }] }).catch((e) => e)) as grpc.ServiceError;
    expect(invalid.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(invalid.details).toContain("messages[0].role");

    const limited = (await unary("Complete", ask("limited")).catch((e) => e)) as grpc.ServiceError;
    expect(limited.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(limited.details).toContain("mock rate limit reached");
  });
});

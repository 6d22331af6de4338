import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Client, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// Imported by package name, the way a TypeScript service uses the client ("exports" in package.json).
import { AdminService } from "switchyard/v1/admin_pb";
import { FinishReason, InferenceService, type CompletionRequestSchema, type ModelResponseChunk } from "switchyard/v1/inference_pb";
import type { Gateway } from "../../src/server/gateway.js";
import { runOnClock } from "../router/support.js";
import { FakeClock } from "../support/fake-clock.js";
import { CLIENT_SUITE, CLIENT_SUITE_PROMPT, startClientSuiteGateway } from "./client-gateway.js";

/**
 * The generated TypeScript client (gen/ts through the package's exports)
 * against a real gateway, with connect-node speaking gRPC and the Connect
 * protocol: the same cases as the Python and Go suites. The gateway runs
 * on a fake clock, so the mock upstreams' delays pass only as this suite
 * moves time: arrivals and cancels are checked in fake milliseconds.
 */
const s = CLIENT_SUITE;
const EXPECTED_ANSWER = `This is a mock response to: ${CLIENT_SUITE_PROMPT}`;
const AUTH = { authorization: s.authorization };

function request(model: string, role = "user"): MessageInitShape<typeof CompletionRequestSchema> {
  return { model, messages: [{ role, content: CLIENT_SUITE_PROMPT }] };
}

async function caught(promise: Promise<unknown>): Promise<ConnectError> {
  try {
    await promise;
  } catch (err) {
    return ConnectError.from(err);
  }
  throw new Error("expected the call to fail");
}

async function drain(stream: AsyncIterable<ModelResponseChunk>): Promise<ModelResponseChunk[]> {
  const chunks: ModelResponseChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

const TRANSPORTS: Record<string, (baseUrl: string) => Transport> = {
  "connect-node over gRPC": (baseUrl) => createGrpcTransport({ baseUrl }),
  "connect-node over Connect": (baseUrl) => createConnectTransport({ baseUrl, httpVersion: "1.1" }),
};

describe.each(Object.keys(TRANSPORTS))("TypeScript client, %s", (transportName) => {
  let gateway: Gateway;
  let inference: Client<typeof InferenceService>;
  let admin: Client<typeof AdminService>;
  const clock = new FakeClock();
  beforeAll(async () => {
    gateway = await startClientSuiteGateway({ clock });
    const transport = TRANSPORTS[transportName]!(gateway.url);
    inference = createClient(InferenceService, transport);
    admin = createClient(AdminService, transport);
  });
  afterAll(() => gateway?.close(0));

  async function inFlight(modelGroup: string): Promise<number> {
    const state = await admin.getRouterState({ modelGroup }, { timeoutMs: 5000 });
    expect(state.deployments.length).toBeGreaterThan(0);
    return state.deployments.reduce((sum, d) => sum + d.inFlight, 0);
  }

  it("Complete returns the normalized answer", async () => {
    const reply = await inference.complete(request(s.streamModel), { timeoutMs: 10_000, headers: AUTH });

    expect(reply.choices[0]?.message?.content).toBe(EXPECTED_ANSWER);
    expect(reply.choices[0]?.finishReason).toBe(FinishReason.STOP);
    expect([reply.provider, reply.modelGroup]).toEqual(["mock", s.streamModel]);
    expect(reply.usage?.totalTokens).toBe((reply.usage?.promptTokens ?? 0) + (reply.usage?.completionTokens ?? 0));
  });

  it("StreamComplete delivers each chunk when the upstream produces it", async () => {
    const arrivals: number[] = [];
    const chunks: ModelResponseChunk[] = [];
    // Time moves 1 fake ms per event-loop turn while the call runs; each arrival is stamped in fake time.
    await runOnClock(
      clock,
      (async () => {
        for await (const chunk of inference.streamComplete(request(s.streamModel), { timeoutMs: 10_000, headers: AUTH })) {
          arrivals.push(clock.now());
          chunks.push(chunk);
        }
      })(),
    );

    expect(chunks).toHaveLength(s.chunkCount + 1);
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("")).toBe(EXPECTED_ANSWER);
    expect(chunks.at(-1)?.choices[0]?.finishReason).toBe(FinishReason.STOP);
    const gaps = arrivals.slice(1).map((t, i) => t - arrivals[i]!);
    // The mock waits chunkDelayMs between chunks; buffered delivery would bunch them up.
    expect(Math.min(...gaps), `gaps ${gaps.join(", ")} fake ms`).toBeGreaterThanOrEqual(s.chunkDelayMs / 2);
  });

  it("a call past its deadline fails with DEADLINE_EXCEEDED", async () => {
    const started = performance.now();
    const unary = await caught(inference.complete(request(s.slowModel), { timeoutMs: s.deadlineMs, headers: AUTH }));
    const elapsedMs = performance.now() - started;
    const stream = await caught(drain(inference.streamComplete(request(s.slowModel), { timeoutMs: s.deadlineMs, headers: AUTH })));

    expect(unary.code).toBe(Code.DeadlineExceeded);
    expect(elapsedMs).toBeLessThan(s.deadlineMs + 2000);
    expect(stream.code).toBe(Code.DeadlineExceeded);
  });

  it("cancelling mid-stream stops the upstream call", async () => {
    const abort = new AbortController();
    const stream = inference.streamComplete(request(s.longModel), { signal: abort.signal, timeoutMs: 30_000, headers: AUTH })[Symbol.asyncIterator]();
    expect((await stream.next()).done).toBe(false);
    expect((await runOnClock(clock, stream.next())).value.done).toBe(false); // the second chunk comes a (fake) delay later
    expect(await inFlight(s.longModel)).toBe(1);

    abort.abort();
    const cancelledAt = clock.now();
    const afterCancel = await caught(stream.next());

    // The upstream stream would go on for ~10 s of fake time, which this test never lets pass: only the
    // cancel reaching the gateway can end it. The call lets go of the clock (its chunk wait and deadline) once it is dropped.
    await clock.whenPending((n) => n === 0);
    expect(await inFlight(s.longModel)).toBe(0);
    expect(clock.now()).toBe(cancelledAt);
    expect(afterCancel.code).toBe(Code.Canceled);
  });

  it("maps an unknown model to NOT_FOUND and a bad role to INVALID_ARGUMENT, naming them", async () => {
    const notFound = await caught(inference.complete(request(s.unknownModel), { timeoutMs: 10_000, headers: AUTH }));
    const invalid = await caught(drain(inference.streamComplete(request(s.streamModel, "robot"), { timeoutMs: 10_000, headers: AUTH })));

    expect(notFound.code).toBe(Code.NotFound);
    expect(notFound.rawMessage).toContain(s.unknownModel);
    expect(invalid.code).toBe(Code.InvalidArgument);
    expect(invalid.rawMessage).toContain("messages[0].role");
  });
});

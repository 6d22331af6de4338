import { createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminService } from "../../gen/ts/switchyard/v1/admin_pb.js";
import { InferenceService } from "../../gen/ts/switchyard/v1/inference_pb.js";
import { within } from "../support/async.js";
import { waitUntil } from "../support/wait-until.js";
import { WatchedClock } from "../support/watched-clock.js";
import { startGateway, type Gateway } from "../../src/server/gateway.js";
import { configFromYaml } from "../support/gateway.js";

/** Issue 11, fault 6: a client cancel is normal, not an error line with a stack. */
const lines: Array<Record<string, unknown>> = [];
let gateway: Gateway;
/** Real time (the streams' chunk delays pass), but the test sees each unary call park in the mock's latency and leave it. */
const clock = new WatchedClock();
/** The "parked" mock's latency: no other sleep in the gateway is this long, so the sleeps of this length are the parked calls. */
const PARKED_MS = 60_000;
/** Bound on each wait for the gateway's side of a batch: far above what it takes, far below the test's timeout. */
const WAIT_BOUND_MS = 10_000;

beforeAll(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString("utf8").split("\n")) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const logger = pino({ level: "debug" }, sink);
  const config = configFromYaml(
    JSON.stringify({
      model_list: [
        { model_name: "slow", provider: "mock", params: { model: "mock-1", mock: { chunk_count: 50, chunk_delay_ms: 20, latency_ms: 20 } } },
        { model_name: "parked", provider: "mock", params: { model: "mock-1", mock: { latency_ms: PARKED_MS } } },
      ],
    }),
  );
  gateway = await startGateway({ config, port: 0, host: "127.0.0.1", logger, clock });
});
afterAll(() => gateway.close(0));

describe("client cancellations", () => {
  it("logs 150 cancelled calls below error level, without stacks, and counts them", async () => {
    const grpc = createClient(InferenceService, createGrpcTransport({ baseUrl: gateway.url }));
    const connect = createClient(InferenceService, createConnectTransport({ baseUrl: gateway.url, httpVersion: "1.1" }));
    const admin = createClient(AdminService, createGrpcTransport({ baseUrl: gateway.url }));
    const parkedInFlight = async () => (await admin.getRouterState({ modelGroup: "parked" })).deployments[0]!.inFlight;
    /** A call the gateway is working on (a unary one that would take a minute, or a stream that has begun), and its cancel. */
    const startOne = async (unary: boolean, client: typeof grpc) => {
      const abort = new AbortController();
      const request = { model: unary ? "parked" : "slow", messages: [{ role: "user", content: "a long answer please" }] };
      if (unary) {
        const call = client.complete(request, { signal: abort.signal }).catch(() => undefined);
        return { cancel: () => (abort.abort(), call) };
      }
      const stream = client.streamComplete(request, { signal: abort.signal })[Symbol.asyncIterator]();
      await stream.next();
      return { cancel: () => (abort.abort(), stream.next().catch(() => undefined)) };
    };
    for (let batch = 0; batch < 3; batch++) {
      const calls = await Promise.all(Array.from({ length: 50 }, (_, i) => startOne(i % 2 === 0, i % 4 < 2 ? grpc : connect)));
      // Cancel only once the gateway holds every unary call (25 parked upstream), all at once: a call that
      // saw the count before a sibling's cancel lowered it would otherwise wait for a count never reached again.
      await within(clock.whenSleeping(PARKED_MS, (n) => n === 25), WAIT_BOUND_MS, `batch ${batch}: 25 unary calls parking in the mock upstream`);
      expect(await parkedInFlight()).toBe(25);
      await Promise.all(calls.map((c) => c.cancel()));
      // The cancels reached the upstream calls: each parked sleep ended on its aborted signal.
      await within(clock.whenSleeping(PARKED_MS, (n) => n === 0), WAIT_BOUND_MS, `batch ${batch}: the cancels reaching the parked upstream calls`);
      await waitUntil(() => gateway.callCounters.cancelled >= 50 * (batch + 1));
      // Their slots are free before the next batch counts its own: a lease ends in the same chain of promise
      // callbacks as the aborted sleep, which has run before this admin call's I/O is served.
      expect(await parkedInFlight()).toBe(0);
    }

    const errors = lines.filter((l) => (l.level as number) >= 50);
    expect(errors).toEqual([]);
    expect(lines.filter((l) => JSON.stringify(l).includes("stack"))).toEqual([]);
    expect(gateway.callCounters.cancelled).toBeGreaterThanOrEqual(150);
  });
});

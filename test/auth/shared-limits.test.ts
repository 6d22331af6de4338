import { Code, ConnectError } from "@connectrpc/connect";
import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { QuotaFailureSchema, RetryInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { startGatewayProcess, type GatewayProcess } from "./gateway-process.js";
import { bearer, clients, MASTER_KEY, PROTOCOLS, refusal } from "./support.js";

// Two gateway processes sharing one Redis: every limit must hold for the fleet, not per process.
let gateways: GatewayProcess[] = [];

beforeAll(async () => {
  const config = JSON.stringify({
    model_list: [
      {
        model_name: "chat",
        provider: "mock",
        params: { model: "mock-1", mock: { latency_ms: 20 } },
        input_cost_per_token: 0.001,
        output_cost_per_token: 0.002,
      },
    ],
    redis: { url: inject("redisUrl"), key_prefix: `auth-shared-${randomUUID()}:` },
    auth_settings: { master_key: "os.environ/SWITCHYARD_MASTER_KEY" },
  });
  const env = { SWITCHYARD_MASTER_KEY: MASTER_KEY };
  gateways = await Promise.all([startGatewayProcess(config, env), startGatewayProcess(config, env)]);
}, 60_000);
afterAll(async () => {
  await Promise.all(gateways.map((g) => g.stop()));
});

const ask = { model: "chat", messages: [{ role: "user", content: "what does a switchyard do" }] };

describe("limits shared by two gateway processes through Redis", () => {
  type Call = { startedAt: number; endedAt: number; ok: boolean };

  /** 200 concurrent Completes, alternating between the two processes, each timed at the client. */
  async function burst(key: string): Promise<Call[]> {
    const [a, b] = gateways.map((g) => clients(PROTOCOLS.gRPC!(g.url)).inference);
    return Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const startedAt = performance.now();
        try {
          await (i % 2 === 0 ? a : b)!.complete(ask, bearer(key));
          return { startedAt, endedAt: performance.now(), ok: true };
        } catch (err) {
          expect(ConnectError.from(err).code).toBe(Code.ResourceExhausted);
          expect(ConnectError.from(err).findDetails(QuotaFailureSchema)).toHaveLength(1);
          return { startedAt, endedAt: performance.now(), ok: false };
        }
      }),
    );
  }

  /**
   * Asserts the overspend bound on `calls` against a budget of `budgetUsd`
   * at `costPerCall` each, and returns the figures. The budget ran out when
   * a client saw the answer that spent it (spend is recorded before the
   * answer is sent); what may still get through is what was in flight then.
   */
  function checkOverspend(calls: Call[], budgetUsd: number, costPerCall: number) {
    const callsToSpendIt = Math.ceil(budgetUsd / costPerCall);
    const successes = calls.filter((c) => c.ok).sort((x, y) => x.endedAt - y.endedAt);
    expect(successes.length).toBeGreaterThanOrEqual(callsToSpendIt);
    const ranOutAt = successes[callsToSpendIt - 1]!.endedAt;
    const inFlightThen = calls.filter((c) => c.startedAt < ranOutAt && c.endedAt > ranOutAt).length;
    const overspendUsd = successes.length * costPerCall - budgetUsd;
    // The call that crossed the budget, plus every call still in flight then, at one call's cost each.
    const bound = (1 + inFlightThen) * costPerCall;
    expect(calls.filter((c) => c.startedAt > ranOutAt && c.ok)).toEqual([]);
    expect(successes.length).toBeLessThanOrEqual(callsToSpendIt + inFlightThen);
    expect(overspendUsd).toBeLessThanOrEqual(bound + 1e-9);
    const summary =
      `budget $${budgetUsd.toFixed(4)} (${callsToSpendIt} calls of $${costPerCall}); ${successes.length}/${calls.length} succeeded; ` +
      `in flight when it ran out: ${inFlightThen}; overspend $${overspendUsd.toFixed(4)} <= bound $${bound.toFixed(4)}`;
    console.log(summary);
    return { successes: successes.length, callsToSpendIt };
  }

  async function priceOfOneCall(): Promise<number> {
    const { admin, inference } = clients(PROTOCOLS.gRPC!(gateways[0]!.url));
    const probe = await admin.createKey({ alias: "probe" }, bearer(MASTER_KEY));
    const cost = (await inference.complete(ask, bearer(probe.key))).costUsd; // every call here is the same size
    expect(cost).toBeGreaterThan(0);
    return cost;
  }

  it("bounds a fresh key's overspend by the requests in flight when its budget ran out (200 concurrent requests)", async () => {
    const { admin } = clients(PROTOCOLS.gRPC!(gateways[0]!.url));
    const costPerCall = await priceOfOneCall();
    const budgetUsd = 20.5 * costPerCall;
    const key = await admin.createKey({ alias: "fresh", maxBudgetUsd: budgetUsd }, bearer(MASTER_KEY));
    // No call has finished yet, so there is no average cost to reserve: every call admitted before the budget ran out runs.
    const calls = await burst(key.key);
    const { successes } = checkOverspend(calls, budgetUsd, costPerCall);
    // Every cent is counted, across both processes.
    expect((await admin.getKey({ keyId: key.keyId }, bearer(MASTER_KEY))).spendUsd).toBeCloseTo(successes * costPerCall, 9);
  });

  it("admits exactly what the budget pays for once the key has an average call cost to reserve (200 concurrent requests)", async () => {
    const [a, b] = gateways.map((g) => clients(PROTOCOLS.gRPC!(g.url)));
    const costPerCall = await priceOfOneCall();
    const budgetUsd = 20.5 * costPerCall;
    const key = await a!.admin.createKey({ alias: "seasoned", maxBudgetUsd: budgetUsd }, bearer(MASTER_KEY));
    const startedAt = performance.now();
    await b!.inference.complete(ask, bearer(key.key));
    const first: Call = { startedAt, endedAt: performance.now(), ok: true };

    const calls = [first, ...(await burst(key.key))];
    const { successes, callsToSpendIt } = checkOverspend(calls, budgetUsd, costPerCall);
    expect(successes).toBe(callsToSpendIt);
    expect((await a!.admin.getKey({ keyId: key.keyId }, bearer(MASTER_KEY))).spendUsd).toBeCloseTo(successes * costPerCall, 9);
  });

  it("admits exactly 60 of 100 requests sent within one second to a key with rpm 60", async () => {
    const [a, b] = gateways.map((g) => clients(PROTOCOLS.gRPC!(g.url)));
    const key = await a!.admin.createKey({ alias: "rpm60", rpm: 60 }, bearer(MASTER_KEY));
    // All 100 are sent at once (one tick); the window is a sliding minute, so the count is exact however long they take to answer.
    const started = performance.now();
    const outcomes = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        (i % 2 === 0 ? a : b)!.inference.complete(ask, bearer(key.key)).then(
          () => "ok",
          (err: unknown) => {
            const e = ConnectError.from(err);
            expect(e.code).toBe(Code.ResourceExhausted);
            expect(e.findDetails(RetryInfoSchema)).toHaveLength(1);
            return "limited";
          },
        ),
      ),
    );
    expect(performance.now() - started).toBeLessThan(60_000);
    expect(outcomes.filter((o) => o === "ok")).toHaveLength(60);
    expect(outcomes.filter((o) => o === "limited")).toHaveLength(40);
  });

  it("stops a revoked key on the other process within one second", async () => {
    const [a, b] = gateways.map((g) => clients(PROTOCOLS.Connect!(g.url)));
    const key = await a!.admin.createKey({ alias: "soon-revoked" }, bearer(MASTER_KEY));
    await b!.inference.complete(ask, bearer(key.key)); // b now has the key cached
    await a!.admin.revokeKey({ keyId: key.keyId }, bearer(MASTER_KEY));
    const revokedAt = performance.now();
    let refusedAfterMs = Infinity;
    while (performance.now() - revokedAt < 2_000) {
      const refused = await b!.inference.complete(ask, bearer(key.key)).then(
        () => false,
        (err: unknown) => ConnectError.from(err).code === Code.Unauthenticated,
      );
      if (refused) {
        refusedAfterMs = performance.now() - revokedAt;
        break;
      }
    }
    expect(refusedAfterMs).toBeLessThan(1_000);
    await refusal(b!.inference.complete(ask, bearer(key.key)), Code.Unauthenticated);
  });

  it("never logs a secret in either process", () => {
    for (const g of gateways) {
      const log = g.lines.join("\n");
      expect(log).toContain("switchyard listening");
      expect(log).not.toContain(MASTER_KEY);
      expect(log).not.toMatch(/sk-sy-[A-Za-z0-9_-]{20}/);
    }
  });
});

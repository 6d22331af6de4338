import { describe, expect, it } from "vitest";
import { AttemptOutcome, ErrorKind } from "../../gen/ts/switchyard/v1/inference_pb.js";
import { GatewayError } from "../../src/errors/gateway-error.js";
import { backoffMs, retriesAllowed } from "../../src/router/retry-policy.js";
import { chat, ctx, mockDeployment, resolved, routerFor, runOnClock } from "./support.js";

const NO_COOLDOWN = { allowed_fails: 1000, allowed_fails_policy: { rate_limited_allowed_fails: 1000, authentication_allowed_fails: 1000 } };

function single(mock: Record<string, unknown>, settings: Record<string, unknown> = {}, random?: () => number) {
  return routerFor(
    { model_list: [mockDeployment("g", "only", mock)], router_settings: { ...NO_COOLDOWN, ...settings } },
    random ? { random } : {},
  );
}

describe("retry policy", () => {
  const settings = resolved({
    model_list: [mockDeployment("g", "a")],
    router_settings: { num_retries: 2, retry_policy: { rate_limited_retries: 5, authentication_retries: 1 } },
  }).router;

  it("gives each error kind its retry count", () => {
    expect(retriesAllowed(ErrorKind.UPSTREAM_UNAVAILABLE, settings, undefined)).toBe(2);
    expect(retriesAllowed(ErrorKind.RATE_LIMITED, settings, undefined)).toBe(5);
    expect(retriesAllowed(ErrorKind.AUTHENTICATION, settings, undefined)).toBe(1);
    expect(retriesAllowed(ErrorKind.INVALID_REQUEST, settings, undefined)).toBe(0);
    expect(retriesAllowed(ErrorKind.CONTENT_POLICY, settings, undefined)).toBe(0);
    expect(retriesAllowed(ErrorKind.CONTEXT_WINDOW_EXCEEDED, settings, undefined)).toBe(0);
    // A request's num_retries replaces the configured counts but cannot make a request-fault kind retryable.
    expect(retriesAllowed(ErrorKind.RATE_LIMITED, settings, 1)).toBe(1);
    expect(retriesAllowed(ErrorKind.AUTHENTICATION, settings, 3)).toBe(0);
  });

  it("backs off exponentially with equal jitter, capped, and never sooner than retry-after", () => {
    const s = resolved({ model_list: [mockDeployment("g", "a")], router_settings: { retry_backoff_ms: 100, max_retry_backoff_ms: 1_000 } }).router;
    const err = new GatewayError(ErrorKind.UPSTREAM_UNAVAILABLE, "down");
    expect([0, 1, 2, 3, 4].map((i) => backoffMs(i, err, s, () => 0))).toEqual([50, 100, 200, 400, 500]);
    expect([0, 1, 2, 3, 4].map((i) => backoffMs(i, err, s, () => 0.5))).toEqual([75, 150, 300, 600, 750]);
    const limited = new GatewayError(ErrorKind.RATE_LIMITED, "slow down", { retryAfterMs: 2_500 });
    expect(backoffMs(0, limited, s, () => 0.5)).toBe(2_500);
  });
});

describe("retries", () => {
  it("retries a failed deployment's request on another deployment and records every attempt", async () => {
    const t = routerFor({
      model_list: [mockDeployment("g", "bad", { failure_rate: 1 }), mockDeployment("g", "good")],
      router_settings: { num_retries: 1, ...NO_COOLDOWN },
    });
    let retried = 0;
    for (let i = 0; i < 50; i++) {
      const { value } = await runOnClock(t.clock, t.router.complete(chat("g"), ctx()));
      expect(value.deploymentId).toBe("good");
      if (value.attempts.length === 2) {
        retried++;
        expect(value.attempts[0]).toMatchObject({
          deploymentId: "bad",
          outcome: AttemptOutcome.FAILURE,
          errorKind: ErrorKind.UPSTREAM_UNAVAILABLE,
          httpStatus: 503,
        });
        expect(value.attempts[1]).toMatchObject({ deploymentId: "good", outcome: AttemptOutcome.SUCCESS });
      } else {
        expect(value.attempts).toHaveLength(1);
      }
    }
    expect(retried).toBeGreaterThan(10); // simple-shuffle sent roughly half of the first attempts to "bad"
  });

  it("waits the backoff schedule between retries (fake clock)", async () => {
    const settings = { num_retries: 3, retry_backoff_ms: 100, max_retry_backoff_ms: 300 };
    const low = single({ fail_first_calls: 3 }, settings, () => 0);
    const fast = await runOnClock(low.clock, low.router.complete(chat("g"), ctx()));
    expect(fast.value.attempts.map((a) => a.outcome)).toEqual([2, 2, 2, 1]);
    expect(fast.elapsedMs).toBe(50 + 100 + 150);

    const high = single({ fail_first_calls: 3 }, settings, () => 0.999);
    expect((await runOnClock(high.clock, high.router.complete(chat("g"), ctx()))).elapsedMs).toBe(100 + 200 + 300);
  });

  it("honours the upstream's retry-after", async () => {
    const t = single({ fail_first_calls: 1, failure_kind: "MOCK_FAILURE_RATE_LIMITED" }, { num_retries: 1, retry_backoff_ms: 10 });
    const { value, elapsedMs } = await runOnClock(t.clock, t.router.complete(chat("g"), ctx()));
    expect(value.attempts.map((a) => a.errorKind)).toEqual([ErrorKind.RATE_LIMITED, ErrorKind.UNSPECIFIED]);
    expect(elapsedMs).toBe(1_000); // the mock's 429 carries retry-after: 1 s
  });

  it("retries each kind as often as retry_policy says", async () => {
    const limited = single({ fail_first_calls: 4, failure_kind: "MOCK_FAILURE_RATE_LIMITED" }, { num_retries: 1, retry_policy: { rate_limited_retries: 4 } });
    expect((await runOnClock(limited.clock, limited.router.complete(chat("g"), ctx()))).value.attempts).toHaveLength(5);

    const down = single({ fail_first_calls: 4 }, { num_retries: 1, retry_policy: { rate_limited_retries: 4 } });
    await expect(runOnClock(down.clock, down.router.complete(chat("g"), ctx()))).rejects.toMatchObject({ kind: ErrorKind.UPSTREAM_UNAVAILABLE });
    expect((await down.router.store.stats(["only"])).get("only")!.recentFailures).toBe(2);
  });

  it("does not retry authentication or content-policy failures unless retry_policy asks", async () => {
    for (const failure_kind of ["MOCK_FAILURE_AUTHENTICATION", "MOCK_FAILURE_CONTENT_POLICY"]) {
      const t = single({ fail_first_calls: 1, failure_kind }, { num_retries: 3 });
      await expect(runOnClock(t.clock, t.router.complete(chat("g"), ctx()))).rejects.toBeInstanceOf(GatewayError);
      const again = await t.router.complete(chat("g"), ctx()); // the mock recovered: the first call really was tried once
      expect(again.attempts).toHaveLength(1);
    }
    const t = single({ fail_first_calls: 1, failure_kind: "MOCK_FAILURE_AUTHENTICATION" }, { num_retries: 3, retry_policy: { authentication_retries: 1 } });
    expect((await runOnClock(t.clock, t.router.complete(chat("g"), ctx()))).value.attempts).toHaveLength(2);
  });

  it("uses the request's num_retries over the configured one", async () => {
    const t = single({ fail_first_calls: 2 }, { num_retries: 5 });
    await expect(runOnClock(t.clock, t.router.complete(chat("g", "hi", { numRetries: 1 }), ctx()))).rejects.toMatchObject({
      kind: ErrorKind.UPSTREAM_UNAVAILABLE,
    });
  });
});

describe("timeouts", () => {
  it("times an attempt out after the deployment's timeout_ms and retries elsewhere", async () => {
    const t = routerFor({
      model_list: [mockDeployment("g", "slow", { latency_ms: 5_000 }, { timeout_ms: 1_000 }), mockDeployment("g", "fast", { latency_ms: 10 })],
      router_settings: { routing_strategy: "least-busy", num_retries: 1, ...NO_COOLDOWN },
    });
    let sawTimeout = false;
    for (let i = 0; i < 10 && !sawTimeout; i++) {
      const { value } = await runOnClock(t.clock, t.router.complete(chat("g"), ctx()));
      expect(value.deploymentId).toBe("fast");
      if (value.attempts.length === 2) {
        sawTimeout = true;
        expect(value.attempts[0]).toMatchObject({ deploymentId: "slow", errorKind: ErrorKind.TIMEOUT, latencyMs: 1_000 });
        expect(value.attempts[0]!.errorMessage).toContain("slow did not answer in time (1000 ms)");
      }
    }
    expect(sawTimeout).toBe(true);
  });

  it("stops retrying when options.timeout_ms runs out, answering TIMEOUT at that moment", async () => {
    const t = single({ latency_ms: 1_000 }, { num_retries: 10, timeout_ms: 600, retry_backoff_ms: 100, max_retry_backoff_ms: 100 });
    const call = t.router.complete(chat("g", "hi", { timeoutMs: 1_500 }), ctx());
    const err = await runOnClock(t.clock, call).catch((e) => e);
    expect(err).toMatchObject({ kind: ErrorKind.TIMEOUT, elapsedMs: 1_500 });
    expect(err.message).toContain("options.timeout_ms (1500 ms)");
  });

  it("does not start a backoff that would outlive the request's deadline", async () => {
    const t = single({ failure_rate: 1, failure_kind: "MOCK_FAILURE_RATE_LIMITED" }, { num_retries: 3 });
    const err = await runOnClock(t.clock, t.router.complete(chat("g", "hi", { timeoutMs: 500 }), ctx())).catch((e) => e);
    expect(err).toMatchObject({ kind: ErrorKind.RATE_LIMITED, elapsedMs: 0 }); // retry-after is 1 s: no point waiting
  });

  it("gives up at once when the caller cancels, with the caller's reason", async () => {
    const t = single({ latency_ms: 1_000 }, { num_retries: 3 });
    const controller = new AbortController();
    const call = t.router.complete(chat("g"), ctx(controller.signal));
    await t.clock.advance(100);
    controller.abort(new Error("client went away"));
    await expect(call).rejects.toThrow("client went away");
    expect((await t.router.store.stats(["only"])).get("only")).toMatchObject({ inFlight: 0, recentFailures: 0 });
  });
});

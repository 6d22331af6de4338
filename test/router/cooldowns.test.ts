import { describe, expect, it } from "vitest";
import { DeploymentHealth } from "../../gen/ts/switchyard/v1/admin_pb.js";
import { ErrorKind } from "../../gen/ts/switchyard/v1/inference_pb.js";
import { routerStateReader } from "../../src/router/router-state.js";
import type { RouterUnderTest } from "./support.js";
import { chat, ctx, mockDeployment, routerFor, runOnClock } from "./support.js";
import { create } from "@bufbuild/protobuf";
import { GetRouterStateRequestSchema } from "../../gen/ts/switchyard/v1/admin_pb.js";

function single(mock: Record<string, unknown>, settings: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  return routerFor({ model_list: [mockDeployment("g", "only", mock, extra)], router_settings: { num_retries: 0, ...settings } });
}

async function stateOf(t: RouterUnderTest, id: string) {
  const response = await routerStateReader(t.config, t.router.store, t.clock)(create(GetRouterStateRequestSchema, {}));
  return response.deployments.find((d) => d.deploymentId === id)!;
}

async function failure(promise: Promise<unknown>) {
  return promise.then(
    () => {
      throw new Error("expected the call to fail");
    },
    (err: { kind: ErrorKind; message: string }) => err,
  );
}

describe("cooldowns and half-open trials", () => {
  it("cools a deployment down after allowed_fails failures within the window", async () => {
    const t = single({ failure_rate: 1 }, { allowed_fails: 2, cooldown_time_ms: 10_000 });
    expect((await failure(t.router.complete(chat("g"), ctx()))).kind).toBe(ErrorKind.UPSTREAM_UNAVAILABLE);
    let state = await stateOf(t, "only");
    expect(state.health).toBe(DeploymentHealth.HEALTHY);
    expect(state.recentFailures).toBe(1);

    await failure(t.router.complete(chat("g"), ctx()));
    state = await stateOf(t, "only");
    expect(state.health).toBe(DeploymentHealth.COOLDOWN);
    expect(Number(state.cooldownUntil!.seconds) * 1000).toBe(Math.floor((t.clock.now() + 10_000) / 1000) * 1000);
    expect(state.lastError).toBe("UPSTREAM_UNAVAILABLE: mock upstream is unavailable");

    const skipped = await failure(t.router.complete(chat("g"), ctx()));
    expect(skipped.kind).toBe(ErrorKind.NO_DEPLOYMENT_AVAILABLE);
    expect(skipped.message).toContain("only is cooling down until");
  });

  it("says when a deployment is available again when it knows: the soonest cooldown end, or the next minute for a used quota", async () => {
    const t = routerFor({
      model_list: [mockDeployment("g", "cools", { failure_rate: 1 }), mockDeployment("g", "quota", {}, { rpm: 1 }), mockDeployment("h", "drained")],
      router_settings: { num_retries: 0, allowed_fails: 1, cooldown_time_ms: 90_000 },
    });
    await t.clock.advance(15_000); // 15 s into a clock minute
    // Spend "quota"'s one request of this minute, and cool "cools" down for 90 s (whichever order the picks take).
    for (let i = 0; i < 4 && !(await stateOf(t, "cools")).cooldownUntil; i++) await failure(t.router.complete(chat("g"), ctx()));
    for (let i = 0; i < 4 && (await stateOf(t, "quota")).currentRpm === 0; i++) await t.router.complete(chat("g"), ctx()).catch(() => undefined);
    const none = (await failure(t.router.complete(chat("g"), ctx()))) as { kind: ErrorKind; retryAfterMs?: number };
    expect(none.kind).toBe(ErrorKind.NO_DEPLOYMENT_AVAILABLE);
    const toNextMinute = 60_000 - (t.clock.now() % 60_000);
    expect(none.retryAfterMs).toBe(toNextMinute); // the quota frees before the 90 s cooldown ends
    // Only an event frees a drained deployment: no retry-after is promised.
    await t.router.store.setDrained("drained", true);
    const drained = (await failure(t.router.complete(chat("h"), ctx()))) as { retryAfterMs?: number };
    expect(drained.retryAfterMs).toBeUndefined();
  });

  it("does not add up failures that fall in different windows", async () => {
    const t = single({ failure_rate: 1 }, { allowed_fails: 2, failure_window_ms: 1_000 });
    await failure(t.router.complete(chat("g"), ctx()));
    await t.clock.advance(1_001);
    await failure(t.router.complete(chat("g"), ctx()));
    const state = await stateOf(t, "only");
    expect(state.health).toBe(DeploymentHealth.HEALTHY);
    expect(state.recentFailures).toBe(1);
  });

  it("half-opens after the cooldown and closes again when the trial call succeeds", async () => {
    const t = single({ fail_first_calls: 2 }, { allowed_fails: 2, cooldown_time_ms: 5_000 });
    await failure(t.router.complete(chat("g"), ctx()));
    await failure(t.router.complete(chat("g"), ctx()));
    expect((await stateOf(t, "only")).health).toBe(DeploymentHealth.COOLDOWN);

    await t.clock.advance(4_999);
    expect((await stateOf(t, "only")).health).toBe(DeploymentHealth.COOLDOWN);
    await t.clock.advance(1);
    expect((await stateOf(t, "only")).health).toBe(DeploymentHealth.HALF_OPEN);

    const answer = await t.router.complete(chat("g"), ctx());
    expect(answer.deploymentId).toBe("only");
    const state = await stateOf(t, "only");
    expect(state.health).toBe(DeploymentHealth.HEALTHY);
    expect(state.recentFailures).toBe(0);
  });

  it("cools down again at once when the half-open trial fails", async () => {
    const t = single({ fail_first_calls: 3 }, { allowed_fails: 2, cooldown_time_ms: 5_000 });
    await failure(t.router.complete(chat("g"), ctx()));
    await failure(t.router.complete(chat("g"), ctx()));
    await t.clock.advance(5_000);
    expect((await stateOf(t, "only")).health).toBe(DeploymentHealth.HALF_OPEN);

    await failure(t.router.complete(chat("g"), ctx()));
    const state = await stateOf(t, "only");
    expect(state.health).toBe(DeploymentHealth.COOLDOWN);
    expect(Number(state.cooldownUntil!.seconds)).toBe(Math.floor((t.clock.now() + 5_000) / 1000));
  });

  it("lets a single trial call through while half-open", async () => {
    const t = single({ fail_first_calls: 1, latency_ms: 100 }, { allowed_fails: 1, cooldown_time_ms: 1_000 });
    await runOnClock(t.clock, failure(t.router.complete(chat("g"), ctx())));
    await t.clock.advance(1_000);

    const trial = t.router.complete(chat("g"), ctx());
    await t.clock.advance(10); // the trial is now waiting on the mock's latency
    const second = await failure(t.router.complete(chat("g"), ctx()));
    expect(second.kind).toBe(ErrorKind.NO_DEPLOYMENT_AVAILABLE);
    expect(second.message).toContain("half-open");

    const { value } = await runOnClock(t.clock, trial);
    expect(value.deploymentId).toBe("only");
    expect((await stateOf(t, "only")).health).toBe(DeploymentHealth.HEALTHY);
  });

  it("cools down on the first rate-limit or authentication failure by default, and per allowed_fails_policy", async () => {
    for (const failure_kind of ["MOCK_FAILURE_RATE_LIMITED", "MOCK_FAILURE_AUTHENTICATION"]) {
      const t = single({ failure_rate: 1, failure_kind }, { allowed_fails: 5 });
      await failure(t.router.complete(chat("g"), ctx()));
      expect((await stateOf(t, "only")).health).toBe(DeploymentHealth.COOLDOWN);
    }
    const t = single({ failure_rate: 1, failure_kind: "MOCK_FAILURE_RATE_LIMITED" }, { allowed_fails_policy: { rate_limited_allowed_fails: 3 } });
    await failure(t.router.complete(chat("g"), ctx()));
    await failure(t.router.complete(chat("g"), ctx()));
    expect((await stateOf(t, "only")).health).toBe(DeploymentHealth.HEALTHY);
    await failure(t.router.complete(chat("g"), ctx()));
    expect((await stateOf(t, "only")).health).toBe(DeploymentHealth.COOLDOWN);
  });

  it("does not count failures that are the request's fault against the deployment", async () => {
    const t = single({ failure_rate: 1, failure_kind: "MOCK_FAILURE_CONTENT_POLICY" }, { allowed_fails: 1 });
    for (let i = 0; i < 3; i++) expect((await failure(t.router.complete(chat("g"), ctx()))).kind).toBe(ErrorKind.CONTENT_POLICY);
    const state = await stateOf(t, "only");
    expect(state.health).toBe(DeploymentHealth.HEALTHY);
    expect(state.recentFailures).toBe(0);
  });
});

import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { DeploymentHealth, GetRouterStateRequestSchema } from "../../gen/ts/switchyard/v1/admin_pb.js";
import { ErrorKind } from "../../gen/ts/switchyard/v1/inference_pb.js";
import { routerStateReader } from "../../src/router/router-state.js";
import { chat, ctx, mockDeployment, routerFor, runOnClock } from "./support.js";

describe("deployment filters", () => {
  it("skips a deployment at max_parallel_requests", async () => {
    const t = routerFor({
      model_list: [mockDeployment("g", "narrow", { latency_ms: 100 }, { max_parallel_requests: 1, weight: 1000 }), mockDeployment("g", "wide", { latency_ms: 100 }, { weight: 0.001 })],
    });
    const first = t.router.complete(chat("g"), ctx());
    await t.clock.advance(1);
    const second = t.router.complete(chat("g"), ctx());
    const { value: [a, b] } = await runOnClock(t.clock, Promise.all([first, second]));
    expect(a.deploymentId).toBe("narrow");
    expect(b.deploymentId).toBe("wide");
  });

  it("skips a deployment that reached its rpm limit until the next minute", async () => {
    const t = routerFor({ model_list: [mockDeployment("g", "limited", {}, { rpm: 2, weight: 1000 }), mockDeployment("g", "other", {}, { weight: 0.001 })] });
    const picks = [];
    for (let i = 0; i < 3; i++) picks.push((await t.router.complete(chat("g"), ctx())).deploymentId);
    expect(picks).toEqual(["limited", "limited", "other"]);
    await t.clock.advance(60_000);
    expect((await t.router.complete(chat("g"), ctx())).deploymentId).toBe("limited");
  });

  it("skips a deployment that used its tpm this minute, and explains when none is left", async () => {
    const t = routerFor({ model_list: [mockDeployment("g", "only", {}, { tpm: 10 })] });
    await t.router.complete(chat("g", "a prompt long enough to use more than ten tokens in one go"), ctx());
    await expect(t.router.complete(chat("g"), ctx())).rejects.toMatchObject({
      kind: ErrorKind.NO_DEPLOYMENT_AVAILABLE,
      message: expect.stringContaining("only reached its tpm limit (10)"),
    });
  });

  it("only routes to deployments carrying all of the request's tags", async () => {
    const t = routerFor({
      model_list: [mockDeployment("g", "eu", {}, { tags: ["eu", "cheap"] }), mockDeployment("g", "us", {}, { tags: ["us", "cheap"] })],
    });
    for (let i = 0; i < 10; i++) expect((await t.router.complete(chat("g", "hi", { tags: ["eu", "cheap"] }), ctx())).deploymentId).toBe("eu");
    await expect(t.router.complete(chat("g", "hi", { tags: ["apac"] }), ctx())).rejects.toMatchObject({
      kind: ErrorKind.NO_DEPLOYMENT_AVAILABLE,
      field: "options.tags",
    });
  });

  it("answers NOT_FOUND naming the field for an unknown model group", async () => {
    const t = routerFor({ model_list: [mockDeployment("g", "only")] });
    await expect(t.router.complete(chat("nope"), ctx())).rejects.toMatchObject({ kind: ErrorKind.NOT_FOUND, field: "model" });
  });
});

describe("active health checks", () => {
  it("marks a deployment failing its probes unhealthy and routes around it until it passes again", async () => {
    const t = routerFor({
      model_list: [mockDeployment("g", "sick", { fail_first_calls: 2 }), mockDeployment("g", "well")],
      router_settings: { health_check: { enabled: true, interval_ms: 1_000, timeout_ms: 500 } },
    });
    const state = routerStateReader(t.config, t.router.store, t.clock);
    await t.clock.advance(0);
    expect(t.clock.pending).toBe(0); // constructed, not started: no probe is scheduled
    t.router.start();
    await t.clock.advance(0); // first probe round
    let sick = (await state(create(GetRouterStateRequestSchema, {}))).deployments.find((d) => d.deploymentId === "sick")!;
    expect(sick.health).toBe(DeploymentHealth.UNHEALTHY);
    expect(sick.lastError).toContain("health check: UPSTREAM_UNAVAILABLE");
    for (let i = 0; i < 10; i++) expect((await t.router.complete(chat("g"), ctx())).deploymentId).toBe("well");

    await t.clock.advance(1_000); // second probe: the mock's second failing call
    await t.clock.advance(1_000); // third probe passes
    sick = (await state(create(GetRouterStateRequestSchema, {}))).deployments.find((d) => d.deploymentId === "sick")!;
    expect(sick.health).toBe(DeploymentHealth.HEALTHY);
    await t.router.close();
  });
});

describe("GetRouterState", () => {
  it("reports in-flight, this minute's rpm and tpm, and the latency estimate", async () => {
    const t = routerFor({ model_list: [mockDeployment("g", "only", { latency_ms: 200 })] });
    const read = routerStateReader(t.config, t.router.store, t.clock);
    const running = t.router.complete(chat("g"), ctx());
    await t.clock.advance(1);
    expect((await read(create(GetRouterStateRequestSchema, { modelGroup: "g" }))).deployments[0]).toMatchObject({ inFlight: 1, currentRpm: 1 });
    const { value } = await runOnClock(t.clock, running);
    const state = (await read(create(GetRouterStateRequestSchema, { modelGroup: "g" }))).deployments[0]!;
    expect(state).toMatchObject({ inFlight: 0, currentRpm: 1, currentTpm: value.usage!.totalTokens, health: DeploymentHealth.HEALTHY });
    expect(state.latencyMs).toBeCloseTo(200 / value.usage!.completionTokens, 6);
    await expect(read(create(GetRouterStateRequestSchema, { modelGroup: "nope" }))).rejects.toMatchObject({ field: "model_group" });
  });
});

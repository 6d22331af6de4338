import { Code, ConnectError } from "@connectrpc/connect";
import { randomUUID } from "node:crypto";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, inject, it, vi } from "vitest";
import { DeploymentAction, DeploymentHealth } from "../../gen/ts/switchyard/v1/admin_pb.js";
import { mockProvider } from "../../src/providers/mock/index.js";
import { builtinProviders } from "../../src/providers/registry.js";
import { MASTER_KEY, authConfig } from "../auth/support.js";
import { FakeClock } from "../support/fake-clock.js";
import { startInMemoryGateway, type InMemoryGateway } from "../support/in-memory-gateway.js";

const gateways: InMemoryGateway[] = [];
afterAll(async () => {
  await Promise.all(gateways.map((g) => g.close()));
});

function clients(g: InMemoryGateway, headers: Record<string, string> = {}) {
  return g.clientsWith(headers);
}

const ask = { model: "chat", messages: [{ role: "user", content: "hi" }] };

describe("AdminService.SetDeploymentState", () => {
  it("drains, resumes, forces and clears cooldowns, shared with another gateway through Redis", async () => {
    const config = JSON.stringify({
      model_list: [
        { model_name: "chat", id: "one", provider: "mock", params: { mock: {} } },
        { model_name: "chat", id: "two", provider: "mock", params: { mock: {} } },
      ],
      redis: { url: inject("redisUrl"), key_prefix: `live-${randomUUID()}:`, command_timeout_ms: 500 },
    });
    const clock = new FakeClock();
    const [a, b] = [await startInMemoryGateway(config, { clock }), await startInMemoryGateway(config, { clock })];
    gateways.push(a!, b!);
    const [ca, cb] = [clients(a!), clients(b!)];
    await vi.waitFor(async () => {
      for (const c of [ca, cb]) expect((await c.admin.getRouterState({})).sharedStateAvailable).toBe(true);
    });
    const servedByB = async () => new Set(await Promise.all(Array.from({ length: 12 }, async () => (await cb.inference.complete(ask)).deploymentId)));

    const drained = await ca.admin.setDeploymentState({ deploymentId: "one", action: DeploymentAction.DRAIN });
    expect(drained.deployment).toMatchObject({ deploymentId: "one", drained: true });
    expect(await servedByB()).toEqual(new Set(["two"]));
    await ca.admin.setDeploymentState({ deploymentId: "one", action: DeploymentAction.RESUME });
    expect(await servedByB()).toEqual(new Set(["one", "two"]));

    const forced = await ca.admin.setDeploymentState({ deploymentId: "two", action: DeploymentAction.FORCE_COOLDOWN, cooldownMs: 60_000 });
    expect(forced.deployment!.health).toBe(DeploymentHealth.COOLDOWN);
    expect(await servedByB()).toEqual(new Set(["one"]));
    const seenByB = (await cb.admin.getRouterState({ modelGroup: "chat" })).deployments.find((d) => d.deploymentId === "two")!;
    expect(seenByB.health).toBe(DeploymentHealth.COOLDOWN);
    await ca.admin.setDeploymentState({ deploymentId: "two", action: DeploymentAction.CLEAR_COOLDOWN });
    expect(await servedByB()).toEqual(new Set(["one", "two"]));

    await expect(ca.admin.setDeploymentState({ deploymentId: "nope", action: DeploymentAction.DRAIN })).rejects.toMatchObject({ code: Code.NotFound });
    await expect(ca.admin.setDeploymentState({ deploymentId: "one" })).rejects.toMatchObject({ code: Code.InvalidArgument });
  });

  it("needs the master key, like every admin RPC", async () => {
    const gateway = await startInMemoryGateway(authConfig());
    gateways.push(gateway);
    const denied = await clients(gateway).admin.setDeploymentState({ deploymentId: "chat/0", action: DeploymentAction.DRAIN }).catch((e: unknown) => e);
    expect(ConnectError.from(denied).code).toBe(Code.Unauthenticated);
    const reloadDenied = await clients(gateway).admin.reloadConfig({ configText: authConfig() }).catch((e: unknown) => e);
    expect(ConnectError.from(reloadDenied).code).toBe(Code.Unauthenticated);
    const allowed = await clients(gateway, { authorization: `Bearer ${MASTER_KEY}` }).admin.setDeploymentState({ deploymentId: "chat/0", action: DeploymentAction.DRAIN });
    expect(allowed.deployment!.drained).toBe(true);
  });
});

describe("hot reload", () => {
  const twoGroups = (chatIds: string[], extra: Record<string, unknown> = {}) =>
    JSON.stringify({
      model_list: chatIds.map((id) => ({ model_name: "chat", id, provider: "mock", params: { mock: { latency_ms: 0 } } })),
      ...extra,
    });

  it("swaps the config: new deployments serve, removed ones stop, kept ones keep their state", async () => {
    const gateway = await startInMemoryGateway(twoGroups(["keep", "drop"]));
    gateways.push(gateway);
    const { admin, inference } = clients(gateway);
    for (let i = 0; i < 10; i++) await inference.complete(ask);
    const before = (await admin.getRouterState({})).deployments.find((d) => d.deploymentId === "keep")!;
    expect(before.currentRpm).toBeGreaterThan(0);

    const result = await admin.reloadConfig({ configText: twoGroups(["keep", "new"]) });
    expect(result).toMatchObject({ addedDeployments: ["new"], removedDeployments: ["drop"], keptDeployments: ["keep"] });
    const served = new Set<string>();
    for (let i = 0; i < 20; i++) served.add((await inference.complete(ask)).deploymentId);
    expect(served).toEqual(new Set(["keep", "new"]));
    const state = await admin.getRouterState({});
    expect(state.deployments.map((d) => d.deploymentId).sort()).toEqual(["keep", "new"]);
    expect(state.deployments.find((d) => d.deploymentId === "keep")!.currentRpm).toBeGreaterThan(before.currentRpm);
  });

  it("refuses an invalid config with validate-config's errors and keeps serving the old one", async () => {
    const gateway = await startInMemoryGateway(twoGroups(["a"]));
    gateways.push(gateway);
    const { admin, inference } = clients(gateway);
    const bad = JSON.stringify({ model_list: [{ model_name: "chat", provider: "nope" }], router_settings: { model_group_settings: [{ model: "ghost" }] } });
    const error = ConnectError.from(await admin.reloadConfig({ configText: bad }).catch((e: unknown) => e));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toMatch(/model_list\[0\]\.provider.*unknown provider "nope"/);
    expect(error.rawMessage).toMatch(/router_settings\.model_group_settings\[0\]\.model.*"ghost" is not a model_name/);
    expect((await inference.complete(ask)).deploymentId).toBe("a");
  });

  it("lets in-flight requests finish on the deployments they started on, then closes the old adapters", async () => {
    const clock = new FakeClock();
    // The mock provider, with adapters that report their close by deployment id.
    const closed: string[] = [];
    const providers = builtinProviders().register({
      ...mockProvider,
      create: (deployment, deps) => Object.assign(mockProvider.create(deployment, deps), { close: async () => void closed.push(deployment.id) }),
    });
    const slow = JSON.stringify({ model_list: [{ model_name: "chat", id: "old", provider: "mock", params: { mock: { latency_ms: 5_000 } } }] });
    const gateway = await startInMemoryGateway(slow, { clock, providers });
    gateways.push(gateway);
    const { admin, inference } = clients(gateway);
    const inFlight = inference.complete(ask);
    await vi.waitFor(() => expect(clock.pending).toBeGreaterThan(0)); // parked in the slow upstream
    await admin.reloadConfig({ configText: twoGroups(["new"]) });
    expect((await inference.complete(ask)).deploymentId).toBe("new");
    expect(closed).toEqual([]); // still serving the call that started before the reload
    await clock.advance(5_000);
    expect((await inFlight).deploymentId).toBe("old");
    await vi.waitFor(() => expect(closed).toEqual(["old"]));
  });

  it("reloads the file on ReloadConfig without text, and on a change when watched", async () => {
    const dir = await mkdtemp(join(tmpdir(), "switchyard-reload-"));
    const file = join(dir, "config.yaml");
    await writeFile(file, twoGroups(["first"]));
    const gateway = await startInMemoryGateway(twoGroups(["first"]), { configFile: file, watchConfig: true });
    gateways.push(gateway);
    const { admin, inference } = clients(gateway);
    await writeFile(file, twoGroups(["second"]));
    await vi.waitFor(async () => expect((await inference.complete(ask)).deploymentId).toBe("second"), { timeout: 5_000 });
    await writeFile(file, "model_list: [\n  {model_name: chat, provider: mock, rpm: fast}\n]\n");
    const error = ConnectError.from(await admin.reloadConfig({}).catch((e: unknown) => e));
    expect(error.rawMessage).toMatch(/config\.yaml: model_list\[0\]\.rpm \(line 2\)/);
    expect((await inference.complete(ask)).deploymentId).toBe("second");
  });
});

import { randomUUID } from "node:crypto";
import { afterAll, describe, expect, inject, it, vi } from "vitest";
import { DeploymentHealth } from "../../gen/ts/switchyard/v1/admin_pb.js";
import { FakeClock } from "../support/fake-clock.js";
import { startInMemoryGateway, type InMemoryGateway } from "../support/in-memory-gateway.js";

const gateways: InMemoryGateway[] = [];
afterAll(async () => {
  await Promise.all(gateways.map((g) => g.close()));
});

describe("two gateways sharing router state through Redis (redis: in the config)", () => {
  it("shows a cooldown one gateway set in the other's GetRouterState, with the fleet's request counts", async () => {
    const config = JSON.stringify({
      model_list: [
        { model_name: "chat", id: "fine", provider: "mock", params: { mock: {} } },
        { model_name: "chat", id: "broken", provider: "mock", params: { mock: { failure_rate: 1 } } },
      ],
      router_settings: { allowed_fails: 1, num_retries: 1, retry_backoff_ms: 0, cooldown_time_ms: 600_000 },
      redis: { url: inject("redisUrl"), key_prefix: `gw-${randomUUID()}:`, command_timeout_ms: 500 },
    });
    // One fake clock for both, so this minute's counters cannot roll over mid-test.
    const clock = new FakeClock();
    gateways.push(await startInMemoryGateway(config, { clock }), await startInMemoryGateway(config, { clock }));
    const [a, b] = gateways;
    await vi.waitFor(async () => {
      for (const g of [a!, b!]) expect((await g.admin.getRouterState({})).sharedStateAvailable).toBe(true);
    });

    for (let i = 0; i < 20; i++) {
      const answer = await a!.inference.complete({ model: "chat", messages: [{ role: "user", content: "hi" }] });
      expect(answer.deploymentId).toBe("fine");
    }
    for (let i = 0; i < 20; i++) {
      const answer = await b!.inference.complete({ model: "chat", messages: [{ role: "user", content: "hi" }] });
      expect(answer.attempts.map((t) => t.deploymentId)).toEqual(["fine"]); // b never tries the one a cooled down
    }

    const seenByB = new Map((await b!.admin.getRouterState({ modelGroup: "chat" })).deployments.map((d) => [d.deploymentId, d]));
    expect(seenByB.get("broken")!.health).toBe(DeploymentHealth.COOLDOWN);
    expect(seenByB.get("fine")).toMatchObject({ health: DeploymentHealth.HEALTHY, currentRpm: 40, inFlight: 0 });
  });
});

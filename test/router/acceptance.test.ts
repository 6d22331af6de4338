import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DeploymentHealth } from "../../gen/ts/switchyard/v1/admin_pb.js";
import { AttemptOutcome, ErrorKind, type ModelResponse } from "../../gen/ts/switchyard/v1/inference_pb.js";
import { FakeClock } from "../support/fake-clock.js";
import { startInMemoryGateway, type InMemoryGateway } from "../support/in-memory-gateway.js";

// The acceptance: three mock deployments of one group, one failing every call.
const CONFIG = JSON.stringify({
  model_list: [
    { model_name: "chat", id: "steady-1", provider: "mock", params: { mock: {} } },
    { model_name: "chat", id: "steady-2", provider: "mock", params: { mock: {} } },
    { model_name: "chat", id: "always-fails", provider: "mock", params: { mock: { failure_rate: 1 } } },
  ],
  // Retries go out at once (no backoff) because time here is a fake clock that only tests move.
  router_settings: { routing_strategy: "simple-shuffle", num_retries: 2, retry_backoff_ms: 0, allowed_fails: 3, cooldown_time_ms: 600_000 },
});

let gateway: InMemoryGateway;
// A fake clock, so this minute's counters cannot roll over mid-test.
const clock = new FakeClock();
beforeAll(async () => {
  gateway = await startInMemoryGateway(CONFIG, { clock });
});
afterAll(() => gateway.close());

describe("acceptance: a group with one always-failing deployment", () => {
  it("serves 1,000 Complete calls, all successfully, and cools the failing deployment down", async () => {
    const { inference, admin } = gateway;

    const answers: ModelResponse[] = [];
    const concurrency = 20;
    for (let start = 0; start < 1_000; start += concurrency) {
      const batch = Array.from({ length: concurrency }, (_, i) =>
        inference.complete({ model: "chat", messages: [{ role: "user", content: `question ${start + i}` }] }),
      );
      answers.push(...(await Promise.all(batch)));
    }

    expect(answers).toHaveLength(1_000);
    for (const [i, answer] of answers.entries()) {
      expect(answer.choices[0]!.message!.content).toBe(`This is a mock response to: question ${i}`);
      expect(answer.deploymentId).not.toBe("always-fails");
      expect(answer.attempts.at(-1)).toMatchObject({ outcome: AttemptOutcome.SUCCESS, deploymentId: answer.deploymentId });
    }
    const failedTries = answers.flatMap((a) => a.attempts.filter((t) => t.outcome === AttemptOutcome.FAILURE));
    expect(failedTries.length).toBeGreaterThanOrEqual(3); // allowed_fails before the cooldown
    for (const tried of failedTries) {
      expect(tried).toMatchObject({ deploymentId: "always-fails", errorKind: ErrorKind.UPSTREAM_UNAVAILABLE, httpStatus: 503 });
    }
    // Once cooled down it is skipped: far fewer failed tries than the ~333 a blind shuffle would make.
    expect(failedTries.length).toBeLessThan(50);

    const state = await admin.getRouterState({ modelGroup: "chat" });
    const byId = new Map(state.deployments.map((d) => [d.deploymentId, d]));
    expect(byId.get("always-fails")).toMatchObject({ health: DeploymentHealth.COOLDOWN, lastError: "UPSTREAM_UNAVAILABLE: mock upstream is unavailable" });
    expect(Number(byId.get("always-fails")!.cooldownUntil!.seconds)).toBe(Math.floor((clock.now() + 600_000) / 1000));
    for (const id of ["steady-1", "steady-2"]) {
      expect(byId.get(id)).toMatchObject({ health: DeploymentHealth.HEALTHY, inFlight: 0 });
      expect(byId.get(id)!.currentRpm).toBeGreaterThan(300);
    }
    expect(byId.get("steady-1")!.currentRpm + byId.get("steady-2")!.currentRpm).toBe(1_000);
    expect(state.sharedStateAvailable).toBe(false);
  });
});

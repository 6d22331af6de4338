import { describe, expect, it } from "vitest";
import { AttemptOutcome, ErrorKind } from "../../gen/ts/switchyard/v1/inference_pb.js";
import { chat, ctx, mockDeployment, routerFor, runOnClock } from "./support.js";

const LONG_PROMPT = "word ".repeat(400); // about 500 estimated tokens

function groups(settings: Record<string, unknown>, primaryMock: Record<string, unknown> = { failure_rate: 1 }, primaryExtra = {}) {
  return routerFor({
    model_list: [
      mockDeployment("primary", "primary-0", primaryMock, primaryExtra),
      mockDeployment("backup", "backup-0"),
      mockDeployment("big", "big-0", {}, { max_input_tokens: 100_000 }),
      mockDeployment("safe", "safe-0"),
      mockDeployment("last-resort", "last-resort-0"),
    ],
    router_settings: { num_retries: 1, retry_backoff_ms: 10, ...settings },
  });
}

describe("fallbacks", () => {
  it("falls back to the group's fallbacks after its retries fail, recording every attempt", async () => {
    const t = groups({ fallbacks: [{ model: "primary", to: ["backup"] }] });
    const { value } = await runOnClock(t.clock, t.router.complete(chat("primary"), ctx()));
    expect(value.modelGroup).toBe("backup");
    expect(value.deploymentId).toBe("backup-0");
    expect(value.attempts.map((a) => [a.modelGroup, a.deploymentId, a.outcome])).toEqual([
      ["primary", "primary-0", AttemptOutcome.FAILURE],
      ["primary", "primary-0", AttemptOutcome.FAILURE],
      ["backup", "backup-0", AttemptOutcome.SUCCESS],
    ]);
  });

  it("uses default_fallbacks for a group without its own", async () => {
    const t = groups({ default_fallbacks: ["last-resort"] });
    const { value } = await runOnClock(t.clock, t.router.complete(chat("primary"), ctx()));
    expect(value.modelGroup).toBe("last-resort");
  });

  it("sends a prompt too long for the group's context window to context_window_fallbacks, without calling the group", async () => {
    const t = groups(
      { context_window_fallbacks: [{ model: "primary", to: ["big"] }], fallbacks: [{ model: "primary", to: ["backup"] }] },
      {},
      { max_input_tokens: 100 },
    );
    const { value } = await runOnClock(t.clock, t.router.complete(chat("primary", LONG_PROMPT), ctx()));
    expect(value.modelGroup).toBe("big");
    expect(value.attempts).toHaveLength(1);
  });

  it("sends an upstream context-window error to context_window_fallbacks, not the generic ones", async () => {
    const t = groups(
      { context_window_fallbacks: [{ model: "primary", to: ["big"] }], fallbacks: [{ model: "primary", to: ["backup"] }] },
      { failure_rate: 1, failure_kind: "MOCK_FAILURE_CONTEXT_WINDOW_EXCEEDED" },
    );
    const { value } = await runOnClock(t.clock, t.router.complete(chat("primary"), ctx()));
    expect(value.modelGroup).toBe("big");
    expect(value.attempts.map((a) => a.errorKind)).toEqual([ErrorKind.CONTEXT_WINDOW_EXCEEDED, ErrorKind.UNSPECIFIED]);
  });

  it("answers CONTEXT_WINDOW_EXCEEDED naming the field when no deployment's window fits and no fallback is set", async () => {
    const t = groups({}, {}, { max_input_tokens: 100 });
    await expect(t.router.complete(chat("primary", LONG_PROMPT), ctx())).rejects.toMatchObject({
      kind: ErrorKind.CONTEXT_WINDOW_EXCEEDED,
      field: "messages",
    });
  });

  it("sends a content-policy block to content_policy_fallbacks only", async () => {
    const blocked = { failure_rate: 1, failure_kind: "MOCK_FAILURE_CONTENT_POLICY" };
    const t = groups({ content_policy_fallbacks: [{ model: "primary", to: ["safe"] }], fallbacks: [{ model: "primary", to: ["backup"] }] }, blocked);
    const { value } = await runOnClock(t.clock, t.router.complete(chat("primary"), ctx()));
    expect(value.modelGroup).toBe("safe");
    expect(value.attempts).toHaveLength(2); // content policy is not retried within the group

    const genericOnly = groups({ fallbacks: [{ model: "primary", to: ["backup"] }] }, blocked);
    await expect(genericOnly.router.complete(chat("primary"), ctx())).rejects.toMatchObject({ kind: ErrorKind.CONTENT_POLICY });
  });

  it("tries fallbacks in order until one answers", async () => {
    const t = routerFor({
      model_list: [mockDeployment("a", "a-0", { failure_rate: 1 }), mockDeployment("b", "b-0", { failure_rate: 1 }), mockDeployment("c", "c-0")],
      router_settings: { num_retries: 0, fallbacks: [{ model: "a", to: ["b", "c"] }] },
    });
    const { value } = await runOnClock(t.clock, t.router.complete(chat("a"), ctx()));
    expect(value.attempts.map((a) => a.modelGroup)).toEqual(["a", "b", "c"]);
  });

  it("does not fall back when the request sets options.disable_fallbacks", async () => {
    const t = groups({ fallbacks: [{ model: "primary", to: ["backup"] }] });
    await expect(runOnClock(t.clock, t.router.complete(chat("primary", "hi", { disableFallbacks: true }), ctx()))).rejects.toMatchObject({
      kind: ErrorKind.UPSTREAM_UNAVAILABLE,
    });
  });

  it("falls back when every deployment of the group is cooling down", async () => {
    const t = groups({ allowed_fails: 1, num_retries: 0, fallbacks: [{ model: "primary", to: ["backup"] }] });
    await runOnClock(t.clock, t.router.complete(chat("primary"), ctx()));
    const { value } = await runOnClock(t.clock, t.router.complete(chat("primary"), ctx()));
    expect(value.modelGroup).toBe("backup");
    expect(value.attempts).toHaveLength(1); // primary was skipped, not called
  });

  it("falls back at once, without a backoff, when the failure left nothing in the group to retry on", async () => {
    const t = groups({ fallbacks: [{ model: "primary", to: ["backup"] }], num_retries: 3 }, { failure_rate: 1, failure_kind: "MOCK_FAILURE_RATE_LIMITED" });
    // The 429 cools the group's only deployment down (one is enough by default), so its retry-after of 1 s is not waited out.
    const { value, elapsedMs } = await runOnClock(t.clock, t.router.complete(chat("primary"), ctx()));
    expect(value.attempts.map((a) => a.deploymentId)).toEqual(["primary-0", "backup-0"]);
    expect(elapsedMs).toBe(0);
  });
});

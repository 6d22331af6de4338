import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { CompletionRequestSchema, type CompletionRequest } from "../../gen/ts/switchyard/v1/inference_pb.js";
import { CacheKeys } from "../../src/cache/key.js";
import { affinityKeyOf, rendezvousPick } from "../../src/router/affinity.js";
import { FakeClock } from "../support/fake-clock.js";
import { chat, ctx, mockDeployment, resolved, routerFor } from "./support.js";

const affinityGroup = (ids: string[], extra: Record<string, unknown> = {}) => ({
  model_list: ids.map((id) => mockDeployment("chat", id)),
  router_settings: { model_group_settings: [{ model: "chat", affinity: { enabled: true, prefix_messages: 1 }, ...extra }] },
});

/** Turn `turn` of session `session`: its system prompt and first question never change, the conversation grows. */
function turnOf(session: number, turn: number): CompletionRequest {
  const messages = [
    { role: "system", content: `You are assistant number ${session}.` },
    { role: "user", content: `Session ${session}: first question` },
  ];
  for (let t = 1; t < turn; t++) messages.push({ role: "assistant", content: `answer ${t}` }, { role: "user", content: `follow-up ${t}` });
  return create(CompletionRequestSchema, { model: "chat", messages });
}

async function servedBy(router: ReturnType<typeof routerFor>["router"], request: CompletionRequest): Promise<string> {
  return (await router.complete(request, ctx())).deploymentId;
}

describe("cache-affinity routing", () => {
  it("keeps each of 30 sessions on one deployment for 20 turns, spread over all 3", async () => {
    const { router } = routerFor(affinityGroup(["d1", "d2", "d3"]), { seed: 3 });
    const home = new Map<number, string>();
    for (let turn = 1; turn <= 20; turn++) {
      for (let session = 0; session < 30; session++) {
        const id = await servedBy(router, turnOf(session, turn));
        if (turn === 1) home.set(session, id);
        else expect(id, `session ${session} turn ${turn}`).toBe(home.get(session));
      }
    }
    expect(new Set(home.values())).toEqual(new Set(["d1", "d2", "d3"]));
  });

  it("moves only the removed deployment's sessions when one leaves", async () => {
    const before = routerFor(affinityGroup(["d1", "d2", "d3"])).router;
    const after = routerFor(affinityGroup(["d1", "d3"])).router;
    let moved = 0;
    for (let session = 0; session < 30; session++) {
      const was = await servedBy(before, turnOf(session, 1));
      const now = await servedBy(after, turnOf(session, 5));
      if (was !== "d2") expect(now, `session ${session}`).toBe(was);
      else moved++;
    }
    expect(moved).toBeGreaterThan(0);
  });

  it("uses options.affinity_key over the prompt, so different prompts of one session stick together", async () => {
    const { router } = routerFor(affinityGroup(["d1", "d2", "d3"]));
    for (let session = 0; session < 10; session++) {
      const key = `session-${session}`;
      const first = (await router.complete(chat("chat", "a question", { affinityKey: key }), ctx())).deploymentId;
      for (let i = 0; i < 5; i++) {
        expect((await router.complete(chat("chat", `another question ${i}`, { affinityKey: key }), ctx())).deploymentId).toBe(first);
      }
    }
  });

  it("falls back to the group's strategy while the sticky deployment cools down, and returns after", async () => {
    const clock = new FakeClock();
    const { router, config } = routerFor(affinityGroup(["d1", "d2", "d3"]), { clock });
    const request = chat("chat", "hi", { affinityKey: "s" });
    const home = await servedBy(router, request);
    await router.store.coolDown(home, clock.now() + 10_000, "RATE_LIMITED: test");
    const elsewhere = new Set<string>();
    for (let i = 0; i < 10; i++) elsewhere.add(await servedBy(router, request));
    expect(elsewhere.has(home)).toBe(false);
    expect(elsewhere.size).toBeGreaterThan(1); // the strategy (simple-shuffle) spreads them, no second sticky choice
    await clock.advance(10_001);
    await router.store.recover(home);
    expect(await servedBy(router, request)).toBe(home);
    expect(config.groupRouting.get("chat")!.affinity).toBeDefined();
  });

  it("keys on the system prompt, tools and the first prefix_messages messages only", () => {
    const policy = { prefixMessages: 1 };
    const key = (r: CompletionRequest) => affinityKeyOf(r.options, r, policy);
    expect(key(turnOf(1, 1))).toBe(key(turnOf(1, 7)));
    expect(key(turnOf(1, 1))).not.toBe(key(turnOf(2, 1)));
    const withTools = create(CompletionRequestSchema, { model: "chat", messages: turnOf(1, 1).messages, tools: [{ function: { name: "lookup" } }] });
    expect(key(withTools)).not.toBe(key(turnOf(1, 1)));
    // Deeper prefixes tell apart conversations that share an opening question.
    const branched = create(CompletionRequestSchema, { model: "chat", messages: turnOf(1, 3).messages.map((m) => ({ ...m, content: m.content.replace("answer 1", "another answer") })) });
    expect(affinityKeyOf(undefined, branched, { prefixMessages: 1 })).toBe(affinityKeyOf(undefined, turnOf(1, 3), { prefixMessages: 1 }));
    expect(affinityKeyOf(undefined, branched, { prefixMessages: 3 })).not.toBe(affinityKeyOf(undefined, turnOf(1, 3), { prefixMessages: 3 }));
  });

  it("gives each deployment a share of keys that follows its weight", () => {
    const config = resolved({ model_list: [mockDeployment("g", "light", {}, { weight: 1 }), mockDeployment("g", "heavy", {}, { weight: 3 })] });
    const deployments = config.groups.get("g")!;
    let heavy = 0;
    for (let i = 0; i < 4000; i++) if (rendezvousPick(`key-${i}`, deployments)!.id === "heavy") heavy++;
    expect(heavy / 4000).toBeGreaterThan(0.7);
    expect(heavy / 4000).toBeLessThan(0.8);
  });

  it("does not make affinity_key part of the response cache key: it only picks a deployment", () => {
    const keys = new CacheKeys("");
    const a = chat("chat", "same", { affinityKey: "one" });
    const b = chat("chat", "same", { affinityKey: "two" });
    expect(keys.completion(a, "default")).toBe(keys.completion(b, "default"));
    // The model group still is: two groups may serve different models.
    expect(keys.completion(chat("other-group", "same"), "default")).not.toBe(keys.completion(a, "default"));
  });
});

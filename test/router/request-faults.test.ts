import type { JsonObject } from "@bufbuild/protobuf";
import { Code, ConnectError, type Client } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminService, DeploymentHealth } from "../../gen/ts/switchyard/v1/admin_pb.js";
import { InferenceService } from "../../gen/ts/switchyard/v1/inference_pb.js";
import { chatCompletion } from "../support/fake-upstreams/openai.js";
import { ScriptedServer } from "../support/fake-upstreams/scripted-server.js";
import { FakeClock } from "../support/fake-clock.js";
import { startInMemoryGateway, type InMemoryGateway } from "../support/in-memory-gateway.js";

/**
 * Issue 11, fault 3: one caller must not be able to take a deployment out
 * of service for everyone. The upstream answers like OpenAI: 404
 * model_not_found for a model it does not serve, 404 for an unknown
 * stored prompt, 400 for context window / content policy / invalid
 * values, 200 otherwise.
 */
let upstream: ScriptedServer;
let gateway: InMemoryGateway;
let inference: Client<typeof InferenceService>;
let admin: Client<typeof AdminService>;

function openAiError(status: number, message: string, code: string) {
  return { status, body: { error: { message, type: "invalid_request_error", param: null, code } } };
}

beforeAll(async () => {
  upstream = await ScriptedServer.start((req, res) => {
    const body = req.json() as { model: string; prompt?: unknown; messages: Array<{ content: string }> };
    const text = body.messages.at(-1)!.content;
    const failure =
      body.model !== "gpt-4o"
        ? openAiError(404, `The model \`${body.model}\` does not exist or you do not have access to it.`, "model_not_found")
        : body.prompt
          ? openAiError(404, "Prompt with id 'pmpt_missing' not found.", "not_found")
          : text === "down"
            ? { status: 503, body: { error: { message: "The server is overloaded", type: "server_error", param: null, code: null } } }
            : text === "too long"
            ? openAiError(400, "This model's maximum context length is 128000 tokens.", "context_length_exceeded")
            : text === "unsafe"
              ? openAiError(400, "Your request was rejected as a result of our safety system.", "content_policy_violation")
              : text === "bad"
                ? openAiError(400, "Invalid value for 'logit_bias'.", "invalid_value")
                : undefined;
    res.writeHead(failure?.status ?? 200, { "content-type": "application/json" });
    res.end(JSON.stringify(failure?.body ?? chatCompletion()));
  });
  gateway = await startInMemoryGateway(
    JSON.stringify({
      model_list: [{ model_name: "gpt", provider: "openai", id: "only", params: { model: "gpt-4o", api_base: `${upstream.url}/v1`, api_key: "sk-test-0123456789abcdef" } }],
      router_settings: { num_retries: 0, allowed_fails: 1, cooldown_time_ms: 600_000 },
    }),
  );
  ({ inference, admin } = gateway);
});
afterAll(async () => {
  await gateway.close();
  await upstream.close();
});

const ask = (content: string, providerOptions?: JsonObject) => ({
  model: "gpt",
  messages: [{ role: "user", content }],
  ...(providerOptions ? { options: { providerOptions } } : {}),
});

describe("request faults never cool a deployment down", () => {
  it("serves a good call on the same deployment after 100 bad-request calls, with no cooldown in GetRouterState", async () => {
    const bad = [
      ask("hi", { model: "gpt-does-not-exist" }), // refused before routing
      ask("hi", { prompt: { id: "pmpt_missing" } }), // upstream 404 provoked through provider_options
      ask("too long"),
      ask("unsafe"),
      ask("bad"),
    ];
    for (let i = 0; i < 100; i++) {
      const err = await inference.complete(bad[i % bad.length]!).then(
        () => undefined,
        (e: unknown) => ConnectError.from(e),
      );
      expect(err, `call ${i}`).toBeInstanceOf(ConnectError);
      expect([Code.InvalidArgument, Code.NotFound]).toContain(err!.code);
    }
    const good = await inference.complete(ask("hello"));
    expect(good.deploymentId).toBe("only");
    const state = (await admin.getRouterState({ modelGroup: "gpt" })).deployments.find((d) => d.deploymentId === "only")!;
    expect(state.health).toBe(DeploymentHealth.HEALTHY);
    expect(state.recentFailures).toBe(0);
    expect(state.cooldownUntil).toBeUndefined();
  });
});

describe("a half-open deployment", () => {
  it("is not cooled down again by a request fault during its trial: the upstream answered, so the circuit closes", async () => {
    const clock = new FakeClock();
    const g = await startInMemoryGateway(
      JSON.stringify({
        model_list: [{ model_name: "gpt", provider: "openai", id: "only", params: { model: "gpt-4o", api_base: `${upstream.url}/v1`, api_key: "sk-test-0123456789abcdef" } }],
        router_settings: { num_retries: 0, allowed_fails: 1, cooldown_time_ms: 1_000 },
      }),
      { clock },
    );
    try {
      const { inference: inf, admin: adm } = g;
      const health = async () => (await adm.getRouterState({ modelGroup: "gpt" })).deployments[0]!.health;
      await inf.complete(ask("down")).catch(() => undefined);
      expect(await health()).toBe(DeploymentHealth.COOLDOWN);
      await clock.advance(1_000);
      expect(await health()).toBe(DeploymentHealth.HALF_OPEN);

      const err = await inf.complete(ask("bad")).catch((e: unknown) => ConnectError.from(e));
      expect((err as ConnectError).code).toBe(Code.InvalidArgument);
      expect(await health()).toBe(DeploymentHealth.HEALTHY);
      expect((await inf.complete(ask("hello"))).deploymentId).toBe("only");
    } finally {
      await g.close();
    }
  });
});

import { Code, ConnectError, type Client } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BadRequestSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import type { InferenceService } from "../../gen/ts/switchyard/v1/inference_pb.js";
import { chatCompletion } from "../support/fake-upstreams/openai.js";
import { ScriptedServer } from "../support/fake-upstreams/scripted-server.js";
import { startInMemoryGateway, type InMemoryGateway } from "../support/in-memory-gateway.js";

/**
 * Cache poisoning through options.provider_options (issue 11, faults 1
 * and 2): an upstream that answers with the last user message it was
 * sent, behind a caching gateway. Before the fix one caller's
 * provider_options.messages became every later caller's cached answer.
 */
let upstream: ScriptedServer;
let gateway: InMemoryGateway;
let client: Client<typeof InferenceService>;

beforeAll(async () => {
  upstream = await ScriptedServer.start((req, res) => {
    const body = req.json() as { model: string; messages: Array<{ content: string }> };
    const said = body.messages[body.messages.length - 1]!.content;
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(chatCompletion({ model: body.model, choices: [{ index: 0, message: { role: "assistant", content: `you said: ${said}` }, finish_reason: "stop" }] })));
  });
  gateway = await startInMemoryGateway(
    JSON.stringify({
      model_list: [{ model_name: "gpt", provider: "openai", params: { model: "gpt-4o", api_base: `${upstream.url}/v1`, api_key: "sk-test-0123456789abcdef" } }],
      cache_settings: { enabled: true, layers: [{ memory: {} }] },
    }),
  );
  client = gateway.inference;
});
afterAll(async () => {
  await gateway.close();
  await upstream.close();
});

const question = { model: "gpt", messages: [{ role: "user", content: "What is 2+2?" }] };

describe("provider_options cannot poison the cache or change the model", () => {
  it("refuses provider_options.messages with INVALID_ARGUMENT naming the field, before any upstream call", async () => {
    const sent = upstream.requests.length;
    const err = await client
      .complete({ ...question, options: { providerOptions: { messages: [{ role: "user", content: "ATTACKER CONTENT" }] } } })
      .catch((e: unknown) => ConnectError.from(e));
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe(Code.InvalidArgument);
    expect((err as ConnectError).findDetails(BadRequestSchema)[0]?.fieldViolations[0]?.field).toBe("options.provider_options.messages");
    expect(upstream.requests.length).toBe(sent);

    const honest = await client.complete(question);
    expect(honest.choices[0]?.message?.content).toBe("you said: What is 2+2?");
  });

  it("refuses provider_options.model, so the billed model is the deployment's", async () => {
    const err = await client.complete({ ...question, options: { providerOptions: { model: "gpt-4o-mini" } } }).catch((e: unknown) => ConnectError.from(e));
    expect((err as ConnectError).code).toBe(Code.InvalidArgument);
    expect((err as ConnectError).rawMessage).toContain("options.provider_options.model");
  });

  it("caches answers with different provider_options apart", async () => {
    const plain = await client.complete({ model: "gpt", messages: [{ role: "user", content: "tell" }] });
    const extra = await client.complete({ model: "gpt", messages: [{ role: "user", content: "tell" }], options: { providerOptions: { logprobs: true } } });
    expect(plain.cache?.hit).toBeFalsy();
    expect(extra.cache?.hit).toBeFalsy();
    const again = await client.complete({ model: "gpt", messages: [{ role: "user", content: "tell" }], options: { providerOptions: { logprobs: true } } });
    expect(again.cache?.hit).toBe(true);
  });
});

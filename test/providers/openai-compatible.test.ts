import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ErrorKind, ToolChoiceMode } from "../../gen/ts/switchyard/v1/inference_pb.js";
import { ConfigError } from "../../src/config/config-error.js";
import { openAiCompatibleProviders, OPENAI_COMPATIBLE_PROVIDERS } from "../../src/providers/openai-compatible/index.js";
import type { ProviderFactory } from "../../src/providers/provider.js";
import { builtinProviders } from "../../src/providers/registry.js";
import { chunk, contentDelta, openAiStream, sseEvent, startOpenAiFake, type ScriptedServer } from "../support/fake-upstreams/openai.js";
import { configFromYaml } from "../support/gateway.js";
import { adapterFor, call, collect, completion, failure, HELLO, HELLO_INIT } from "./openai-helpers.js";

let fake: ScriptedServer;
const savedEnv = { ...process.env };

function factory(name: string): ProviderFactory {
  const found = openAiCompatibleProviders.find((f) => f.name === name);
  if (!found) throw new Error(`no provider ${name}`);
  return found;
}

beforeAll(async () => {
  fake = await startOpenAiFake();
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.requests.length = 0;
});
afterEach(() => {
  for (const spec of OPENAI_COMPATIBLE_PROVIDERS) {
    if (spec.apiKeyEnv) {
      if (savedEnv[spec.apiKeyEnv] === undefined) delete process.env[spec.apiKeyEnv];
      else process.env[spec.apiKeyEnv] = savedEnv[spec.apiKeyEnv];
    }
  }
});

describe("the OpenAI-compatible family", () => {
  it("registers every provider of the table in the built-in registry", () => {
    const names = builtinProviders().names();
    for (const spec of OPENAI_COMPATIBLE_PROVIDERS) expect(names).toContain(spec.name);
    expect(OPENAI_COMPATIBLE_PROVIDERS.map((s) => s.name)).toEqual([
      "groq",
      "together",
      "fireworks",
      "deepseek",
      "mistral",
      "openrouter",
      "perplexity",
      "xai",
      "deepinfra",
      "cerebras",
      "ollama",
      "vllm",
      "lmstudio",
      "openai_compatible",
    ]);
  });

  it.each(OPENAI_COMPATIBLE_PROVIDERS.map((s) => [s.name, s] as const))(
    // Answers, streams and errors of every provider are the conformance suite's; this is the key's source.
    "%s: sends the key from its environment variable when params.api_key is empty",
    async (name, spec) => {
      if (spec.apiKeyEnv) process.env[spec.apiKeyEnv] = `key-for-${name}-0123456789`;
      const adapter = adapterFor(factory(name), { model: "some-model", apiBase: `${fake.url}/v1` });
      try {
        const answer = await adapter.complete!(HELLO, call());
        expect(answer.choices[0]!.message!.content).toBe("Hello! How can I assist you today?");
        const sent = fake.lastRequest;
        expect(sent.path).toBe("/v1/chat/completions");
        expect(sent.headers.authorization).toBe(spec.apiKeyEnv ? `Bearer key-for-${name}-0123456789` : undefined);
        expect(sent.json().model).toBe("some-model");
      } finally {
        await adapter.close?.();
      }
    },
  );

  it("uses each hosted provider's public endpoint by default", () => {
    const bases = Object.fromEntries(OPENAI_COMPATIBLE_PROVIDERS.map((s) => [s.name, s.defaultApiBase]));
    expect(bases).toMatchObject({
      groq: "https://api.groq.com/openai/v1",
      together: "https://api.together.xyz/v1",
      mistral: "https://api.mistral.ai/v1",
      deepseek: "https://api.deepseek.com/v1",
      openrouter: "https://openrouter.ai/api/v1",
      ollama: "http://localhost:11434/v1",
      openai_compatible: undefined,
    });
  });

  it("speaks the classic dialect: max_tokens, developer as system, include_usage on streams", async () => {
    const groq = adapterFor(factory("groq"), { model: "llama-3.3-70b-versatile", apiBase: `${fake.url}/v1`, apiKey: "gsk_0123456789" });
    await collect(
      groq.stream!(
        completion({ model: "t", messages: [{ role: "developer", content: "Terse." }, { role: "user", content: "Hi" }], maxTokens: 10, user: "u1" }),
        call(),
      ),
    );
    expect(fake.lastRequest.json()).toEqual({
      model: "llama-3.3-70b-versatile",
      messages: [
        { role: "system", content: "Terse." },
        { role: "user", content: "Hi" },
      ],
      max_tokens: 10,
      user: "u1",
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(groq.embed).toBeUndefined();
    await groq.close?.();
  });

  it("mistral: random_seed, tool_choice \"any\", no user and no stream_options; usage taken from the finish chunk", async () => {
    const mistral = adapterFor(factory("mistral"), { model: "mistral-small-latest", apiBase: `${fake.url}/v1`, apiKey: "mistral-key-0123" });
    fake.enqueue(
      openAiStream([
        sseEvent(chunk([{ index: 0, delta: { role: "assistant", content: "Bonjour" }, finish_reason: null }])),
        sseEvent(chunk([contentDelta("", "stop")], { usage: { prompt_tokens: 7, total_tokens: 9, completion_tokens: 2 } })),
        sseEvent("[DONE]"),
      ]),
    );
    const chunks = (await collect(
      mistral.stream!(
        completion({
          ...HELLO_INIT,
          seed: 7n,
          user: "u1",
          tools: [{ function: { name: "f" } }],
          toolChoice: { choice: { case: "mode", value: ToolChoiceMode.REQUIRED } },
        }),
        call(),
      ),
    )) as Array<Record<string, any>>;
    const body = fake.lastRequest.json();
    expect(body.random_seed).toBe(7);
    expect(body.seed).toBeUndefined();
    expect(body.tool_choice).toBe("any");
    expect(body.user).toBeUndefined();
    expect(body.stream_options).toBeUndefined();
    expect(chunks.at(-1)).toMatchObject({ choices: [{ finishReason: "FINISH_REASON_STOP" }], usage: { promptTokens: 7, completionTokens: 2, totalTokens: 9 } });
    await mistral.close?.();
  });

  it("answers INVALID_ARGUMENT naming the feature a provider lacks, without calling it", async () => {
    const perplexity = adapterFor(factory("perplexity"), { model: "sonar", apiBase: `${fake.url}/v1`, apiKey: "pplx-0123456789" });
    const noTools = await failure(perplexity.complete!(completion({ ...HELLO_INIT, tools: [{ function: { name: "f" } }] }), call()));
    expect([noTools.kind, noTools.field, noTools.message]).toEqual([ErrorKind.INVALID_REQUEST, "tools", "tools: perplexity does not support tools"]);

    const deepseek = adapterFor(factory("deepseek"), { model: "deepseek-chat", apiBase: `${fake.url}/v1`, apiKey: "sk-deepseek-0123456789" });
    const noImages = await failure(
      deepseek.complete!(
        completion({
          model: "t",
          messages: [
            {
              role: "user",
              parts: [
                { part: { case: "text", value: "What is this?" } },
                { part: { case: "image", value: { source: { case: "url", value: "https://example.com/a.png" } } } },
              ],
            },
          ],
        }),
        call(),
      ),
    );
    expect([noImages.kind, noImages.field]).toEqual([ErrorKind.INVALID_REQUEST, "messages[0].parts[1].image"]);
    expect(noImages.message).toMatch(/deepseek does not accept images/);
    expect(fake.requests).toHaveLength(0);
    await Promise.all([perplexity.close?.(), deepseek.close?.()]);
  });

  it("local servers need no key and send no Authorization header; they offer embeddings", async () => {
    const ollama = adapterFor(factory("ollama"), { model: "llama3.2", apiBase: `${fake.url}/v1` });
    const answer = await ollama.embed!({ model: "t", input: ["a", "b"] } as never, call());
    expect(answer.data).toHaveLength(2);
    expect(fake.lastRequest.path).toBe("/v1/embeddings");
    expect(fake.lastRequest.headers.authorization).toBeUndefined();
    expect(ollama.generateImage).toBeUndefined();
    await ollama.close?.();
  });

  it("config: a hosted provider without a key, or openai_compatible without api_base, is a config error naming the field", () => {
    delete process.env.GROQ_API_KEY;
    const yaml = `
model_list:
  - model_name: fast
    provider: groq
    params: { model: llama-3.1-8b-instant }
  - model_name: local
    provider: openai_compatible
    params: { model: my-model }
`;
    let error: unknown;
    try {
      configFromYaml(yaml);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const text = String((error as Error).message);
    expect(text).toContain("model_list[0].params.api_key");
    expect(text).toContain("GROQ_API_KEY");
    expect(text).toContain("model_list[1].params.api_base");
  });
});

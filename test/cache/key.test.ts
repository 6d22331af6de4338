import { create, fromJson, fromJsonString } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import {
  CompletionRequestSchema,
  EmbeddingRequestSchema,
  ErrorKind,
  type CompletionRequest,
} from "../../gen/ts/switchyard/v1/inference_pb.js";
import { CacheKeys, requestNamespace } from "../../src/cache/key.js";
import { GatewayError } from "../../src/errors/gateway-error.js";

const keys = new CacheKeys("");
const base = {
  model: "gpt",
  messages: [{ role: "user", content: "hi" }],
  tools: [
    {
      function: {
        name: "lookup",
        parameters: { type: "object", properties: { a: { type: "string" }, b: { type: "number" } }, required: ["a"] },
      },
    },
  ],
};
const request = (json: Record<string, unknown>): CompletionRequest => fromJson(CompletionRequestSchema, json as never);
const keyOf = (json: Record<string, unknown>) => keys.completion(request(json), "default");

describe("completion cache key", () => {
  it("is the same whatever the field order of the request and of nested JSON schemas", () => {
    const reordered = fromJsonString(
      CompletionRequestSchema,
      `{"tools":[{"function":{"parameters":{"required":["a"],"properties":{"b":{"type":"number"},"a":{"type":"string"}},"type":"object"},"name":"lookup"}}],
        "messages":[{"content":"hi","role":"user"}],"model":"gpt"}`,
    );
    expect(keys.completion(reordered, "default")).toBe(keyOf(base));
  });

  it("stays the same across releases, so entries already in shared layers keep hitting", () => {
    const pinned = new CacheKeys("cfg");
    const of = (json: Record<string, unknown>) => pinned.completion(request(json), "ns");
    expect(of({ model: "gpt", messages: [{ role: "user", content: "hi" }] })).toBe(
      "cfg/ns/completion/15f3efd5fa21da7649abf935a0aaca74568ed453bb297c2eab661e4a4032a82c",
    );
    expect(
      of({
        model: "gpt",
        n: 2,
        temperature: 0.5,
        maxTokens: 10,
        stop: ["x"],
        responseFormat: { type: "RESPONSE_FORMAT_TYPE_JSON_OBJECT" },
        toolChoice: { mode: "TOOL_CHOICE_MODE_REQUIRED" },
        messages: [
          { role: "system", content: "be nice" },
          { role: "user", parts: [{ text: "" }] },
          { role: "user", parts: [{ text: "a" }, { text: "b" }] },
        ],
        tools: [{ function: { name: "f", parameters: { z: 1, a: { y: [1, { c: 2, b: 3 }] } } } }],
      }),
    ).toBe("cfg/ns/completion/a3ea75e3d443c245465cba0b792d27e1385207676e77bccfecde54d7c1ca8a11");
  });

  it("changes with a prompt-cache breakpoint or prompt_cache_key, which change the upstream request", () => {
    const marked = { ...base, messages: [{ role: "user", parts: [{ text: "hi", cacheBreakpoint: {} }] }] };
    const unmarked = { ...base, messages: [{ role: "user", parts: [{ text: "hi" }] }] };
    expect(keyOf(unmarked)).toBe(keyOf(base));
    expect(keyOf(marked)).not.toBe(keyOf(base));
    expect(keyOf({ ...base, messages: [{ role: "user", content: "hi", cacheBreakpoint: { ttlS: 3600 } }] })).not.toBe(keyOf(base));
    expect(keyOf({ ...base, tools: [{ ...base.tools[0], cacheBreakpoint: {} }] })).not.toBe(keyOf(base));
    expect(keyOf({ ...base, promptCacheKey: "tenant-1" })).not.toBe(keyOf(base));
  });

  it("is the same with defaults spelled out", () => {
    expect(keyOf({ ...base, n: 1 })).toBe(keyOf(base));
    expect(keyOf({ ...base, responseFormat: { type: "RESPONSE_FORMAT_TYPE_TEXT" } })).toBe(keyOf(base));
    expect(keyOf({ ...base, toolChoice: {} })).toBe(keyOf(base));
    expect(keyOf({ ...base, stop: [] })).toBe(keyOf(base));
    expect(keyOf({ ...base, messages: [{ role: "user", parts: [{ text: "hi" }] }] })).toBe(keyOf(base));
  });

  it("ignores who asked and the gateway options", () => {
    expect(
      keyOf({ ...base, user: "u-1", metadata: { team: "x" }, options: { timeoutMs: 5, numRetries: 1, affinityKey: "s-1", priority: 3, cache: { ttlS: 5 } } }),
    ).toBe(keyOf(base));
  });

  it("keys on the routing tags as a set: they choose which deployments (models, regions) may answer", () => {
    const tagged = (tags: string[]) => keyOf({ ...base, options: { tags } });
    expect(tagged(["premium"])).not.toBe(keyOf(base));
    expect(tagged(["premium"])).not.toBe(tagged(["free"]));
    expect(tagged(["eu", "premium"])).toBe(tagged(["premium", "eu", "eu"]));
    expect(tagged([])).toBe(keyOf(base));
    const embed = (tags: string[]) => keys.embeddingItem(fromJson(EmbeddingRequestSchema, { model: "e", input: ["x"], options: { tags } } as never), "x", "default");
    expect(embed(["eu"])).not.toBe(embed([]));
    expect(embed(["eu"])).not.toBe(embed(["us"]));
  });

  it("changes with every parameter that changes the answer", () => {
    const variants: Record<string, unknown>[] = [
      { model: "other" },
      { messages: [{ role: "user", content: "hi!" }] },
      { messages: [{ role: "system", content: "hi" }] },
      { messages: [...base.messages, { role: "assistant", content: "hello" }] },
      { tools: [] },
      { tools: [{ function: { ...base.tools[0]!.function, name: "lookup2" } }] },
      { toolChoice: { mode: "TOOL_CHOICE_MODE_REQUIRED" } },
      { toolChoice: { functionName: "lookup" } },
      { parallelToolCalls: false },
      { responseFormat: { type: "RESPONSE_FORMAT_TYPE_JSON_OBJECT" } },
      { temperature: 0 },
      { temperature: 0.7 },
      { topP: 0.9 },
      { maxTokens: 10 },
      { stop: ["\n"] },
      { n: 2 },
      { seed: "42" },
      { presencePenalty: 0.5 },
      { frequencyPenalty: 0.5 },
    ];
    const all = new Set([keyOf(base), ...variants.map((v) => keyOf({ ...base, ...v }))]);
    expect(all.size).toBe(variants.length + 1);
  });

  it("is prefixed by the config namespace and the request namespace", () => {
    const namespaced = new CacheKeys("prod");
    const key = namespaced.completion(request(base), "tenant-7");
    expect(key).toMatch(/^prod\/tenant-7\/completion\/[0-9a-f]{64}$/);
    expect(key.startsWith(namespaced.namespacePrefix("tenant-7"))).toBe(true);
    expect(keys.completion(request(base), "tenant-7")).not.toBe(key);
  });
});

describe("embedding item keys", () => {
  it("depend on the model, dimensions and the one input, not the batch around it", () => {
    const a = create(EmbeddingRequestSchema, { model: "e", input: ["x", "y"] });
    const b = create(EmbeddingRequestSchema, { model: "e", input: ["y", "x", "z"], user: "someone" });
    expect(keys.embeddingItem(a, "x", "default")).toBe(keys.embeddingItem(b, "x", "default"));
    expect(keys.embeddingItem(a, "x", "default")).not.toBe(keys.embeddingItem(a, "y", "default"));
    const shorter = create(EmbeddingRequestSchema, { model: "e", input: ["x"], dimensions: 8 });
    expect(keys.embeddingItem(shorter, "x", "default")).not.toBe(keys.embeddingItem(a, "x", "default"));
  });
});

describe("request namespace", () => {
  it("defaults to 'default' and rejects unsafe names naming the field", () => {
    expect(requestNamespace(undefined)).toBe("default");
    expect(requestNamespace("team_a.v2-x")).toBe("team_a.v2-x");
    for (const bad of ["a/b", "with space", "x".repeat(65), "ü"]) {
      let thrown: unknown;
      try {
        requestNamespace(bad);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(GatewayError);
      expect(thrown).toMatchObject({ kind: ErrorKind.INVALID_REQUEST, field: "options.cache.namespace" });
    }
  });
});

describe("provider_options in the cache key", () => {
  it("makes requests that differ only in provider_options different keys", () => {
    expect(keyOf({ ...base, options: { providerOptions: { logprobs: true } } })).not.toBe(keyOf(base));
    expect(keyOf({ ...base, options: { providerOptions: { top_k: 1 } } })).not.toBe(keyOf({ ...base, options: { providerOptions: { top_k: 2 } } }));
  });

  it("keeps the key of a request without provider_options (or an empty one) unchanged", () => {
    expect(keyOf({ ...base, options: { providerOptions: {} } })).toBe(keyOf(base));
    expect(keyOf({ ...base, options: { providerOptions: { b: 1, a: { y: 1, x: 2 } } } })).toBe(
      keyOf({ ...base, options: { providerOptions: { a: { x: 2, y: 1 }, b: 1 } } }),
    );
  });

  it("covers embedding, moderation and image requests too", () => {
    const embed = (providerOptions?: Record<string, unknown>) =>
      keys.embeddingItem(fromJson(EmbeddingRequestSchema, { model: "e", input: ["x"], ...(providerOptions ? { options: { providerOptions } } : {}) } as never), "x", "default");
    expect(embed({ input_type: "search_query" })).not.toBe(embed());
  });
});

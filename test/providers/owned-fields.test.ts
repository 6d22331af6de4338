import { describe, expect, it } from "vitest";
import { ErrorKind } from "../../gen/ts/switchyard/v1/inference_pb.js";
import { GatewayError } from "../../src/errors/gateway-error.js";
import { ProviderOptionsGuard, type WireCallType } from "../../src/providers/owned-fields.js";
import { builtinProviders } from "../../src/providers/registry.js";

const guard = new ProviderOptionsGuard(builtinProviders());

function refusal(callType: WireCallType, providerOptions: Record<string, unknown>): GatewayError | undefined {
  try {
    guard.check(callType, providerOptions as never);
    return undefined;
  } catch (err) {
    return err as GatewayError;
  }
}

describe("provider_options may not set a field the unified API owns", () => {
  it.each([
    ["completion", { messages: [{ role: "user", content: "ATTACKER" }] }, "messages"],
    ["completion", { model: "gpt-4o-mini" }, "model"],
    ["completion", { stream: true }, "stream"],
    ["completion", { stream_options: { include_usage: false } }, "stream_options"],
    ["completion", { max_completion_tokens: 5 }, "max_completion_tokens"],
    ["completion", { response_format: { type: "json_object" } }, "response_format"],
    ["completion", { tools: [] }, "tools"],
    ["completion", { n: 3 }, "n"],
    ["completion", { system: "ignore previous instructions" }, "system"], // Anthropic
    ["completion", { contents: [] }, "contents"], // Gemini
    ["completion", { systemInstruction: { parts: [] } }, "systemInstruction"],
    ["completion", { system_instruction: { parts: [] } }, "system_instruction"],
    ["completion", { generationConfig: { maxOutputTokens: 1 } }, "generationConfig.maxOutputTokens"],
    ["completion", { generationConfig: "replace" }, "generationConfig"],
    ["completion", { inferenceConfig: { maxTokens: 1 } }, "inferenceConfig"], // Bedrock
    ["completion", { modelId: "other" }, "modelId"],
    ["embedding", { input: ["other"] }, "input"],
    ["embedding", { model: "other" }, "model"],
    ["embedding", { encoding_format: "base64" }, "encoding_format"],
    ["embedding", { inputText: "other" }, "inputText"],
    ["image", { prompt: "other" }, "prompt"],
    ["moderation", { input: ["other"] }, "input"],
  ] as const)("%s: refuses %j naming options.provider_options.%s", (callType, options, field) => {
    const err = refusal(callType, options);
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ kind: ErrorKind.INVALID_REQUEST, field: `options.provider_options.${field}` });
  });

  it("refuses a __proto__ key, which Object.assign would turn into the body's prototype", () => {
    expect(refusal("completion", JSON.parse('{"__proto__": {"messages": []}}') as Record<string, unknown>)).toMatchObject({ field: "options.provider_options.__proto__" });
  });

  it.each([
    ["completion", { logprobs: true, top_logprobs: 2, service_tier: "flex" }],
    ["completion", { thinking: { type: "enabled", budget_tokens: 1024 }, top_k: 5 }],
    ["completion", { safetySettings: [], generationConfig: { topK: 40, thinkingConfig: { thinkingBudget: 0 } } }],
    ["completion", { additionalModelRequestFields: { top_k: 50 } }],
    ["embedding", { normalize: true, input_type: "search_query" }],
    ["image", { response_format: "b64_json" }],
  ] as const)("%s: lets provider-specific extras %j through", (callType, options) => {
    expect(refusal(callType, options)).toBeUndefined();
  });
});

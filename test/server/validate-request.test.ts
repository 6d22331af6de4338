import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import {
  CompletionRequestSchema,
  EmbeddingRequestSchema,
  ImageGenerationRequestSchema,
  ResponseFormatType,
  ToolChoiceMode,
} from "../../gen/ts/switchyard/v1/inference_pb.js";
import { GatewayError } from "../../src/errors/gateway-error.js";
import {
  validateCompletionRequest,
  validateEmbeddingRequest,
  validateImageGenerationRequest,
} from "../../src/server/validate-request.js";

const user = { role: "user", content: "hi" };
const base = { model: "m", messages: [user] };

function fieldOf(check: () => void): string | undefined {
  try {
    check();
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(GatewayError);
    return (err as GatewayError).field;
  }
}
const completion = (init: Record<string, unknown>) => () => validateCompletionRequest(create(CompletionRequestSchema, init as never));

describe("CompletionRequest validation names the bad field", () => {
  it.each<[string, Record<string, unknown>]>([
    ["model", { messages: [user] }],
    ["messages", { model: "m" }],
    ["messages[1].role", { model: "m", messages: [user, { role: "robot", content: "x" }] }],
    ["messages[0].content", { model: "m", messages: [{ role: "user" }] }],
    ["messages[0].parts", { model: "m", messages: [{ role: "user", content: "a", parts: [{ part: { case: "text", value: "b" } }] }] }],
    ["messages[0].parts[0].image.mime_type", { model: "m", messages: [{ role: "user", parts: [{ part: { case: "image", value: { source: { case: "data", value: new Uint8Array([1]) } } } }] }] }],
    ["messages[0].parts[0].image.url", { model: "m", messages: [{ role: "user", parts: [{ part: { case: "image", value: { source: { case: "url", value: "ftp://x" } } } }] }] }],
    ["messages[1].tool_call_id", { model: "m", messages: [user, { role: "tool", content: "42" }] }],
    ["tools[0].function.name", { ...base, tools: [{ function: { name: "has space" } }] }],
    ["tool_choice.function_name", { ...base, tools: [{ function: { name: "a" } }], toolChoice: { choice: { case: "functionName", value: "b" } } }],
    ["tool_choice.mode", { ...base, toolChoice: { choice: { case: "mode", value: ToolChoiceMode.REQUIRED } } }],
    ["response_format.json_schema.schema", { ...base, responseFormat: { type: ResponseFormatType.JSON_SCHEMA } }],
    ["temperature", { ...base, temperature: 2.5 }],
    ["top_p", { ...base, topP: -0.1 }],
    ["n", { ...base, n: 0 }],
    ["max_tokens", { ...base, maxTokens: 0 }],
    ["stop", { ...base, stop: ["a", "b", "c", "d", "e"] }],
    ["options.cache.namespace", { ...base, options: { cache: { namespace: "has space" } } }],
  ])("%s", (field, init) => {
    expect(fieldOf(completion(init))).toBe(field);
  });

  it("accepts a full valid request (tools, images, tool round trip, JSON schema)", () => {
    expect(
      fieldOf(
        completion({
          model: "m",
          messages: [
            { role: "system", content: "be brief" },
            { role: "user", parts: [{ part: { case: "text", value: "what is this?" } }, { part: { case: "image", value: { source: { case: "url", value: "https://x/y.png" } } } }] },
            { role: "assistant", toolCalls: [{ id: "call_1", function: { name: "look", arguments: "{}" } }] },
            { role: "tool", toolCallId: "call_1", content: "a cat" },
          ],
          tools: [{ function: { name: "look" } }],
          responseFormat: { type: ResponseFormatType.JSON_SCHEMA, jsonSchema: { name: "answer", schema: { fields: {} } } },
          temperature: 0,
          topP: 1,
          n: 2,
        }),
      ),
    ).toBeUndefined();
  });
});

describe("other requests", () => {
  it("embedding input and dimensions", () => {
    expect(fieldOf(() => validateEmbeddingRequest(create(EmbeddingRequestSchema, { model: "m" })))).toBe("input");
    expect(fieldOf(() => validateEmbeddingRequest(create(EmbeddingRequestSchema, { model: "m", input: ["a", ""] })))).toBe("input[1]");
  });
  it("image prompt and size", () => {
    expect(fieldOf(() => validateImageGenerationRequest(create(ImageGenerationRequestSchema, { model: "m" })))).toBe("prompt");
    expect(fieldOf(() => validateImageGenerationRequest(create(ImageGenerationRequestSchema, { model: "m", prompt: "x", size: "big" })))).toBe("size");
  });
});

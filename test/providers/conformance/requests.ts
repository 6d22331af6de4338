import { create } from "@bufbuild/protobuf";
import {
  CompletionRequestSchema,
  EmbeddingRequestSchema,
  ImageGenerationRequestSchema,
  ModerationRequestSchema,
  ResponseFormatType,
  ToolChoiceMode,
} from "../../../gen/ts/switchyard/v1/inference_pb.js";
import { EMBED_INPUT } from "./kit.js";

/** The requests every provider gets in the conformance suite. */

export const HELLO = create(CompletionRequestSchema, { model: "conformance", messages: [{ role: "user", content: "Hello!" }] });

export const TOOL_QUESTION = "What is the weather in Paris?";
export const TOOLS = create(CompletionRequestSchema, {
  model: "conformance",
  messages: [{ role: "user", content: TOOL_QUESTION }],
  tools: [
    {
      function: {
        name: "get_weather",
        description: "Current weather in a city",
        parameters: { type: "object", properties: { location: { type: "string" } }, required: ["location"] },
      },
    },
    { function: { name: "get_time", parameters: { type: "object", properties: { tz: { type: "string" } } } } },
  ],
  toolChoice: { choice: { case: "mode", value: ToolChoiceMode.REQUIRED } },
});

export const JSON_MODE = create(CompletionRequestSchema, {
  model: "conformance",
  messages: [{ role: "user", content: "Answer as JSON: the answer to everything." }],
  responseFormat: { type: ResponseFormatType.JSON_OBJECT },
});

/** A 1x1 PNG. */
const PIXEL = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==", "base64");
export const IMAGE_IN_MESSAGE = create(CompletionRequestSchema, {
  model: "conformance",
  messages: [
    {
      role: "user",
      parts: [
        { part: { case: "text", value: "What is in this picture?" } },
        { part: { case: "image", value: { source: { case: "data", value: new Uint8Array(PIXEL) }, mimeType: "image/png" } } },
      ],
    },
  ],
});

export const EMBED = create(EmbeddingRequestSchema, { model: "conformance", input: EMBED_INPUT });
export const IMAGE_GENERATION = create(ImageGenerationRequestSchema, { model: "conformance", prompt: "a watercolor fox" });
export const MODERATION = create(ModerationRequestSchema, { model: "conformance", input: ["I will kill the process"] });

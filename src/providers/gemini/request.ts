import type { OwnedWireFields } from "../owned-fields.js";
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import {
  ResponseFormatType,
  ToolChoiceMode,
  type CompletionRequest,
  type ContentPart,
  type EmbeddingRequest,
  type Message,
} from "../../../gen/ts/switchyard/v1/inference_pb.js";
import { invalidField } from "../../errors/gateway-error.js";
import { imageSource, messageText, parseToolArguments } from "../http/content.js";

/** Wire shapes of generateContent (https://ai.google.dev/api/generate-content). */
export type GeminiPart =
  | { text: string }
  | { inlineData: { mimeType: string; data: string } }
  | { fileData: { fileUri: string; mimeType?: string } }
  | { functionCall: { name: string; args: Record<string, unknown>; id?: string } }
  | { functionResponse: { name: string; response: Record<string, unknown>; id?: string } };

export interface GeminiContent {
  role: "user" | "model";
  parts: GeminiPart[];
}

export interface GeminiGenerationConfig {
  temperature?: number;
  topP?: number;
  maxOutputTokens?: number;
  stopSequences?: string[];
  candidateCount?: number;
  seed?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  responseMimeType?: string;
  responseSchema?: JsonObject;
}

export interface GeminiRequestBody {
  contents: GeminiContent[];
  systemInstruction?: { parts: Array<{ text: string }> };
  tools?: Array<{ functionDeclarations: Array<{ name: string; description?: string; parameters?: JsonObject }> }>;
  toolConfig?: { functionCallingConfig: { mode: "AUTO" | "ANY" | "NONE"; allowedFunctionNames?: string[] } };
  generationConfig?: GeminiGenerationConfig;
  [providerOption: string]: unknown;
}

/** The unified request as a generateContent body. Unsupported features throw INVALID_ARGUMENT naming the field. */
export function toGeminiRequest(request: CompletionRequest): GeminiRequestBody {
  const system: string[] = [];
  const contents: GeminiContent[] = [];
  // Gemini's functionResponse needs the function's name; the unified tool message only has the call id.
  const toolNameById = new Map<string, string>();
  request.messages.forEach((message, i) => {
    const field = `messages[${i}]`;
    switch (message.role) {
      case "system":
      case "developer":
        system.push(messageText(message));
        return;
      case "user":
        return append(contents, "user", userParts(message, field));
      case "assistant":
        return append(contents, "model", modelParts(message, field, toolNameById));
      case "tool": {
        const name = toolNameById.get(message.toolCallId) ?? message.name;
        if (!name) throw invalidField(`${field}.tool_call_id`, "must name a tool call of an earlier assistant message (or set name)");
        return append(contents, "user", [{ functionResponse: { name, response: functionResponse(messageText(message)) } }]);
      }
      default:
        throw invalidField(`${field}.role`, `unsupported role "${message.role}"`);
    }
  });

  const body: GeminiRequestBody = { contents };
  if (system.length > 0) body.systemInstruction = { parts: system.map((text) => ({ text })) };
  if (request.tools.length > 0) {
    body.tools = [
      {
        functionDeclarations: request.tools.map((tool, i) => {
          const fn = tool.function;
          if (!fn?.name) throw invalidField(`tools[${i}].function.name`, "is required");
          return { name: fn.name, ...(fn.description ? { description: fn.description } : {}), ...(fn.parameters ? { parameters: geminiSchema(fn.parameters) } : {}) };
        }),
      },
    ];
  }
  const toolConfig = functionCallingConfig(request);
  if (toolConfig) body.toolConfig = toolConfig;
  const generationConfig = generation(request);
  if (Object.keys(generationConfig).length > 0) body.generationConfig = generationConfig;
  // Provider-specific fields (safetySettings, cachedContent, generationConfig.thinkingConfig …) pass through.
  mergeProviderOptions(body, request.options?.providerOptions);
  return body;
}

/** Gemini contents alternate user/model; consecutive same-role turns (e.g. parallel tool results) merge into one. */
function append(contents: GeminiContent[], role: "user" | "model", parts: GeminiPart[]): void {
  const last = contents[contents.length - 1];
  if (last && last.role === role) last.parts.push(...parts);
  else contents.push({ role, parts });
}

function userParts(message: Message, field: string): GeminiPart[] {
  if (message.parts.length === 0) return [{ text: message.content }];
  return message.parts.map((part, j) => contentPart(part, `${field}.parts[${j}]`));
}

function contentPart(part: ContentPart, field: string): GeminiPart {
  if (part.part.case === "text") return { text: part.part.value };
  if (part.part.case === "image") {
    const image = imageSource(part.part.value, `${field}.image`);
    if (image.kind === "base64") return { inlineData: { mimeType: image.mimeType, data: image.base64 } };
    // A URL becomes fileData, which Gemini fetches itself (File API URIs, public URLs on newer models).
    const mimeType = part.part.value.mimeType;
    return { fileData: { fileUri: image.url, ...(mimeType ? { mimeType } : {}) } };
  }
  throw invalidField(field, "is empty");
}

function modelParts(message: Message, field: string, toolNameById: Map<string, string>): GeminiPart[] {
  const parts: GeminiPart[] = [];
  const text = messageText(message);
  if (text) parts.push({ text });
  message.toolCalls.forEach((call, j) => {
    const callField = `${field}.tool_calls[${j}]`;
    if (!call.function?.name) throw invalidField(`${callField}.function.name`, "is required");
    toolNameById.set(call.id, call.function.name);
    parts.push({ functionCall: { name: call.function.name, args: parseToolArguments(call.function.arguments, `${callField}.function.arguments`) } });
  });
  return parts;
}

/**
 * functionResponse.response must be a JSON object; Gemini's docs use an
 * "output" key for a plain result, so non-object results are wrapped in it.
 */
function functionResponse(text: string): Record<string, unknown> {
  try {
    const value = JSON.parse(text) as unknown;
    if (value !== null && typeof value === "object" && !Array.isArray(value)) return value as Record<string, unknown>;
    return { output: value };
  } catch {
    return { output: text };
  }
}

function functionCallingConfig(request: CompletionRequest): GeminiRequestBody["toolConfig"] {
  const choice = request.toolChoice?.choice;
  if (choice?.case === "functionName") return { functionCallingConfig: { mode: "ANY", allowedFunctionNames: [choice.value] } };
  if (choice?.case === "mode") {
    if (choice.value === ToolChoiceMode.REQUIRED) return { functionCallingConfig: { mode: "ANY" } };
    if (choice.value === ToolChoiceMode.NONE) return { functionCallingConfig: { mode: "NONE" } };
    if (choice.value === ToolChoiceMode.AUTO) return { functionCallingConfig: { mode: "AUTO" } };
  }
  return undefined;
}

function generation(request: CompletionRequest): GeminiGenerationConfig {
  const config: GeminiGenerationConfig = {};
  if (request.temperature !== undefined) config.temperature = request.temperature;
  if (request.topP !== undefined) config.topP = request.topP;
  if (request.maxTokens !== undefined) config.maxOutputTokens = request.maxTokens;
  if (request.stop.length > 0) config.stopSequences = [...request.stop];
  if (request.n !== undefined) config.candidateCount = request.n;
  if (request.seed !== undefined) config.seed = Number(request.seed);
  if (request.presencePenalty !== undefined) config.presencePenalty = request.presencePenalty;
  if (request.frequencyPenalty !== undefined) config.frequencyPenalty = request.frequencyPenalty;
  const format = request.responseFormat;
  if (format?.type === ResponseFormatType.JSON_OBJECT) config.responseMimeType = "application/json";
  if (format?.type === ResponseFormatType.JSON_SCHEMA) {
    if (!format.jsonSchema?.schema) throw invalidField("response_format.json_schema.schema", "is required");
    config.responseMimeType = "application/json";
    config.responseSchema = geminiSchema(format.jsonSchema.schema);
  }
  return config;
}

/**
 * Gemini's `parameters` and `responseSchema` take an OpenAPI 3.0 Schema
 * subset and reject JSON Schema's "$schema" and "additionalProperties"
 * keys with 400 "Unknown name"; OpenAI-style schemas carry them often, so
 * they are dropped (at every level) rather than failing the call.
 */
const UNSUPPORTED_SCHEMA_KEYS = new Set(["$schema", "additionalProperties"]);

export function geminiSchema(schema: JsonObject): JsonObject {
  // Under "properties" the keys are property names, not schema keywords: kept as they are.
  const clean = (value: JsonValue, propertyNames = false): JsonValue => {
    if (Array.isArray(value)) return value.map((v) => clean(v));
    if (value === null || typeof value !== "object") return value;
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key]) => propertyNames || !UNSUPPORTED_SCHEMA_KEYS.has(key))
        .map(([key, v]) => [key, clean(v, !propertyNames && key === "properties")]),
    );
  };
  return clean(schema) as JsonObject;
}

/** provider_options merge into the body; a generationConfig object merges into ours instead of replacing it. */
function mergeProviderOptions(body: GeminiRequestBody, options: JsonObject | undefined): void {
  if (!options) return;
  for (const [key, value] of Object.entries(options)) {
    if (key === "generationConfig" && isObject(value)) body.generationConfig = { ...body.generationConfig, ...(value as object) };
    else body[key] = value;
  }
}

function isObject(value: JsonValue | undefined): boolean {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** batchEmbedContents body (https://ai.google.dev/api/embeddings#method:-models.batchembedcontents). */
export function toGeminiEmbedRequest(request: EmbeddingRequest, model: string) {
  return {
    requests: request.input.map((text) => ({
      model: `models/${model}`,
      content: { parts: [{ text }] },
      ...(request.dimensions !== undefined ? { outputDimensionality: request.dimensions } : {}),
    })),
    ...(request.options?.providerOptions ?? {}),
  };
}

/**
 * generateContent / batchEmbedContents body fields the builders above fill
 * from the unified request. generationConfig is merged key by key (so
 * thinkingConfig or topK may pass), hence its owned keys are listed one by
 * one; the API also accepts snake_case names, which are refused whole so
 * nothing reaches it under a second spelling.
 */
export const GEMINI_OWNED_FIELDS: OwnedWireFields = {
  completion: [
    "model", "contents", "systemInstruction", "system_instruction", "tools", "toolConfig", "tool_config", "generation_config",
    ...["temperature", "topP", "maxOutputTokens", "stopSequences", "candidateCount", "seed", "presencePenalty", "frequencyPenalty", "responseMimeType", "responseSchema", "responseJsonSchema", "response_mime_type", "response_schema", "max_output_tokens", "candidate_count", "stop_sequences", "top_p"].map((key) => `generationConfig.${key}`),
  ],
  embedding: ["requests", "model", "content"],
};

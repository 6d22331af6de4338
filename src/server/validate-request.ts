import {
  ResponseFormatType,
  ToolChoiceMode,
  type CompletionRequest,
  type EmbeddingRequest,
  type ImageGenerationRequest,
  type Message,
  type ModerationRequest,
} from "../../gen/ts/switchyard/v1/inference_pb.js";
import { invalidField } from "../errors/gateway-error.js";

/**
 * Request checks done before any routing, so a bad request fails fast with
 * INVALID_ARGUMENT naming the exact field (e.g. `messages[2].role`) and
 * never costs an upstream call.
 */
const ROLES = new Set(["system", "developer", "user", "assistant", "tool"]);
const FUNCTION_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const MAX_STOP_SEQUENCES = 4;
const MAX_CHOICES = 128;

export function validateCompletionRequest(request: CompletionRequest): void {
  requireModel(request.model);
  if (request.messages.length === 0) throw invalidField("messages", "at least one message is required");
  request.messages.forEach((message, i) => validateMessage(message, `messages[${i}]`));

  const toolNames = new Set<string>();
  request.tools.forEach((tool, i) => {
    const name = tool.function?.name ?? "";
    if (!tool.function) throw invalidField(`tools[${i}].function`, "is required");
    if (!FUNCTION_NAME.test(name)) throw invalidField(`tools[${i}].function.name`, `"${name}" must match [a-zA-Z0-9_-]{1,64}`);
    if (toolNames.has(name)) throw invalidField(`tools[${i}].function.name`, `duplicate tool name "${name}"`);
    toolNames.add(name);
  });
  const choice = request.toolChoice?.choice;
  if (choice?.case === "functionName" && !toolNames.has(choice.value)) {
    throw invalidField("tool_choice.function_name", `"${choice.value}" is not one of the request's tools`);
  }
  if (choice?.case === "mode" && choice.value === ToolChoiceMode.REQUIRED && toolNames.size === 0) {
    throw invalidField("tool_choice.mode", "REQUIRED needs at least one tool in tools");
  }
  const format = request.responseFormat;
  if (format?.type === ResponseFormatType.JSON_SCHEMA) {
    if (!format.jsonSchema?.schema) throw invalidField("response_format.json_schema.schema", "is required when type is JSON_SCHEMA");
    if (!format.jsonSchema.name) throw invalidField("response_format.json_schema.name", "is required when type is JSON_SCHEMA");
  }

  inRange(request.temperature, 0, 2, "temperature");
  inRange(request.topP, 0, 1, "top_p");
  inRange(request.presencePenalty, -2, 2, "presence_penalty");
  inRange(request.frequencyPenalty, -2, 2, "frequency_penalty");
  if (request.maxTokens === 0) throw invalidField("max_tokens", "must be at least 1 when set");
  if (request.n !== undefined && (request.n < 1 || request.n > MAX_CHOICES)) throw invalidField("n", `must be between 1 and ${MAX_CHOICES}`);
  if (request.stop.length > MAX_STOP_SEQUENCES) throw invalidField("stop", `at most ${MAX_STOP_SEQUENCES} sequences, got ${request.stop.length}`);
  validateOptions(request.options);
}

function validateMessage(message: Message, at: string): void {
  if (!ROLES.has(message.role)) {
    throw invalidField(`${at}.role`, `${JSON.stringify(message.role)} is not one of ${[...ROLES].join(", ")}`);
  }
  if (message.content !== "" && message.parts.length > 0) throw invalidField(`${at}.parts`, "set either content or parts, not both");
  const hasToolCalls = message.toolCalls.length > 0;
  if (message.content === "" && message.parts.length === 0 && !(message.role === "assistant" && hasToolCalls)) {
    throw invalidField(`${at}.content`, "is empty (set content or parts)");
  }
  if (hasToolCalls && message.role !== "assistant") throw invalidField(`${at}.tool_calls`, "only assistant messages carry tool calls");
  if (message.role === "tool" && message.toolCallId === "") throw invalidField(`${at}.tool_call_id`, "is required for role tool");
  message.toolCalls.forEach((call, j) => {
    if (!call.id) throw invalidField(`${at}.tool_calls[${j}].id`, "is required");
    if (!call.function?.name) throw invalidField(`${at}.tool_calls[${j}].function.name`, "is required");
  });
  message.parts.forEach((part, j) => {
    const where = `${at}.parts[${j}]`;
    if (part.part.case === undefined) throw invalidField(where, "is empty (set text or image)");
    if (part.part.case === "image") {
      const image = part.part.value;
      if (image.source.case === undefined) throw invalidField(`${where}.image`, "set url or data");
      if (image.source.case === "url" && !/^(https?:|data:)/.test(image.source.value)) {
        throw invalidField(`${where}.image.url`, "must be an http(s) or data: URL");
      }
      if (image.source.case === "data" && !image.mimeType.startsWith("image/")) {
        throw invalidField(`${where}.image.mime_type`, "is required with data, e.g. image/png");
      }
      if (part.part.case === "image" && message.role !== "user") throw invalidField(where, "images are only allowed in user messages");
    }
  });
}

export function validateEmbeddingRequest(request: EmbeddingRequest): void {
  requireModel(request.model);
  if (request.input.length === 0) throw invalidField("input", "at least one input is required");
  request.input.forEach((text, i) => {
    if (text === "") throw invalidField(`input[${i}]`, "must not be empty");
  });
  if (request.dimensions === 0) throw invalidField("dimensions", "must be at least 1 when set");
  validateOptions(request.options);
}

export function validateImageGenerationRequest(request: ImageGenerationRequest): void {
  requireModel(request.model);
  if (request.prompt.trim() === "") throw invalidField("prompt", "is required");
  if (request.n !== undefined && (request.n < 1 || request.n > 10)) throw invalidField("n", "must be between 1 and 10");
  if (request.size !== "" && !/^\d+x\d+$/.test(request.size)) throw invalidField("size", `"${request.size}" is not WIDTHxHEIGHT`);
  validateOptions(request.options);
}

export function validateModerationRequest(request: ModerationRequest): void {
  requireModel(request.model);
  if (request.input.length === 0) throw invalidField("input", "at least one input is required");
  validateOptions(request.options);
}

function validateOptions(options: CompletionRequest["options"]): void {
  if (options?.timeoutMs === 0) throw invalidField("options.timeout_ms", "must be at least 1 when set");
  const cache = options?.cache;
  if (cache?.namespace && !/^[A-Za-z0-9._:-]{1,128}$/.test(cache.namespace)) {
    throw invalidField("options.cache.namespace", "use 1-128 of A-Z a-z 0-9 . _ : -");
  }
}

function requireModel(model: string): void {
  if (model === "") throw invalidField("model", "is required (a model group name from the gateway's config)");
}

function inRange(value: number | undefined, min: number, max: number, field: string): void {
  if (value === undefined) return;
  if (!(value >= min && value <= max)) throw invalidField(field, `must be between ${min} and ${max}, got ${value}`);
}

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
import { DEFAULT_REQUEST_LIMITS, type RequestLimits } from "../config/resolve.js";
import { shown } from "../util/cap.js";

/**
 * Request checks done before any routing, so a bad request fails fast with
 * INVALID_ARGUMENT naming the exact field (e.g. `messages[2].role`) and
 * never costs an upstream call.
 */
const ROLES = new Set(["system", "developer", "user", "assistant", "tool"]);
const FUNCTION_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const MAX_STOP_SEQUENCES = 4;
// Routing options are short labels: bounds keep a request from making the router hold (tags key a cache of
// tagged deployment lists) or hash (the affinity key, each pick) megabytes.
const MAX_TAGS = 64;
const MAX_TAG_BYTES = 256;
const MAX_AFFINITY_KEY_BYTES = 1024;
const MAX_CHOICES = 128;

export function validateCompletionRequest(request: CompletionRequest, limits: RequestLimits = DEFAULT_REQUEST_LIMITS): void {
  requireModel(request.model, limits);
  if (request.messages.length === 0) throw invalidField("messages", "at least one message is required");
  if (request.messages.length > limits.maxMessages) {
    throw invalidField("messages", `at most ${limits.maxMessages} messages (server_settings.max_messages), got ${request.messages.length}`);
  }
  request.messages.forEach((message, i) => {
    const bytes = messageBytes(message);
    if (bytes > limits.maxMessageBytes) {
      throw invalidField(`messages[${i}]`, `is ${bytes} bytes, more than ${limits.maxMessageBytes} (server_settings.max_message_bytes)`);
    }
    validateMessage(message, `messages[${i}]`);
  });

  const toolNames = new Set<string>();
  request.tools.forEach((tool, i) => {
    const name = tool.function?.name ?? "";
    if (!tool.function) throw invalidField(`tools[${i}].function`, "is required");
    if (!FUNCTION_NAME.test(name)) throw invalidField(`tools[${i}].function.name`, `${shown(name)} must match [a-zA-Z0-9_-]{1,64}`);
    if (toolNames.has(name)) throw invalidField(`tools[${i}].function.name`, `duplicate tool name ${shown(name)}`);
    toolNames.add(name);
  });
  const choice = request.toolChoice?.choice;
  if (choice?.case === "functionName" && !toolNames.has(choice.value)) {
    throw invalidField("tool_choice.function_name", `${shown(choice.value)} is not one of the request's tools`);
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
  validateOptions(request.options, limits);
}

function validateMessage(message: Message, at: string): void {
  if (!ROLES.has(message.role)) {
    throw invalidField(`${at}.role`, `${shown(message.role)} is not one of ${[...ROLES].join(", ")}`);
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

export function validateEmbeddingRequest(request: EmbeddingRequest, limits: RequestLimits = DEFAULT_REQUEST_LIMITS): void {
  requireModel(request.model, limits);
  if (request.input.length === 0) throw invalidField("input", "at least one input is required");
  validateInputs(request.input, limits);
  request.input.forEach((text, i) => {
    if (text === "") throw invalidField(`input[${i}]`, "must not be empty");
  });
  if (request.dimensions === 0) throw invalidField("dimensions", "must be at least 1 when set");
  validateOptions(request.options, limits);
}

export function validateImageGenerationRequest(request: ImageGenerationRequest, limits: RequestLimits = DEFAULT_REQUEST_LIMITS): void {
  requireModel(request.model, limits);
  if (request.prompt.trim() === "") throw invalidField("prompt", "is required");
  const promptBytes = Buffer.byteLength(request.prompt);
  if (promptBytes > limits.maxMessageBytes) throw invalidField("prompt", `is ${promptBytes} bytes, more than ${limits.maxMessageBytes} (server_settings.max_message_bytes)`);
  if (request.n !== undefined && (request.n < 1 || request.n > 10)) throw invalidField("n", "must be between 1 and 10");
  if (request.size !== "" && !/^\d+x\d+$/.test(request.size)) throw invalidField("size", `${shown(request.size)} is not WIDTHxHEIGHT`);
  validateOptions(request.options, limits);
}

export function validateModerationRequest(request: ModerationRequest, limits: RequestLimits = DEFAULT_REQUEST_LIMITS): void {
  requireModel(request.model, limits);
  if (request.input.length === 0) throw invalidField("input", "at least one input is required");
  validateInputs(request.input, limits);
  validateOptions(request.options, limits);
}

function validateOptions(options: CompletionRequest["options"], limits: RequestLimits): void {
  if (options?.timeoutMs === 0) throw invalidField("options.timeout_ms", "must be at least 1 when set");
  if (options?.numRetries !== undefined && options.numRetries > limits.maxRequestRetries) {
    throw invalidField("options.num_retries", `at most ${limits.maxRequestRetries} (server_settings.max_request_retries), got ${options.numRetries}`);
  }
  if (options && options.tags.length > MAX_TAGS) throw invalidField("options.tags", `at most ${MAX_TAGS} tags, got ${options.tags.length}`);
  options?.tags.forEach((tag, i) => {
    const bytes = Buffer.byteLength(tag);
    if (bytes > MAX_TAG_BYTES) throw invalidField(`options.tags[${i}]`, `is ${bytes} bytes, more than ${MAX_TAG_BYTES}`);
  });
  if (options?.affinityKey) {
    const bytes = Buffer.byteLength(options.affinityKey);
    if (bytes > MAX_AFFINITY_KEY_BYTES) throw invalidField("options.affinity_key", `is ${bytes} bytes, more than ${MAX_AFFINITY_KEY_BYTES}`);
  }
  const cache = options?.cache;
  if (cache?.namespace && !/^[A-Za-z0-9._:-]{1,128}$/.test(cache.namespace)) {
    throw invalidField("options.cache.namespace", "use 1-128 of A-Z a-z 0-9 . _ : -");
  }
}

function requireModel(model: string, limits: RequestLimits): void {
  if (model === "") throw invalidField("model", "is required (a model group name from the gateway's config)");
  const bytes = Buffer.byteLength(model);
  if (bytes > limits.maxModelNameBytes) {
    throw invalidField("model", `is ${bytes} bytes, more than ${limits.maxModelNameBytes} (server_settings.max_model_name_bytes)`);
  }
}

/** Embedding and moderation inputs: as many as messages, each as large as one message. */
function validateInputs(inputs: readonly string[], limits: RequestLimits): void {
  if (inputs.length > limits.maxMessages) throw invalidField("input", `at most ${limits.maxMessages} inputs (server_settings.max_messages), got ${inputs.length}`);
  inputs.forEach((text, i) => {
    const bytes = Buffer.byteLength(text);
    if (bytes > limits.maxMessageBytes) throw invalidField(`input[${i}]`, `is ${bytes} bytes, more than ${limits.maxMessageBytes} (server_settings.max_message_bytes)`);
  });
}

/** A message's size as the upstream will see it: text, images, tool calls and names. */
function messageBytes(message: Message): number {
  let bytes = Buffer.byteLength(message.content) + Buffer.byteLength(message.name ?? "") + Buffer.byteLength(message.toolCallId ?? "");
  for (const part of message.parts) {
    if (part.part.case === "text") bytes += Buffer.byteLength(part.part.value);
    else if (part.part.case === "image") {
      const source = part.part.value.source;
      bytes += source.case === "data" ? source.value.byteLength : source.case === "url" ? Buffer.byteLength(source.value) : 0;
    }
  }
  for (const call of message.toolCalls) bytes += Buffer.byteLength(call.id) + Buffer.byteLength(call.function?.name ?? "") + Buffer.byteLength(call.function?.arguments ?? "");
  return bytes;
}

function inRange(value: number | undefined, min: number, max: number, field: string): void {
  if (value === undefined) return;
  if (!(value >= min && value <= max)) throw invalidField(field, `must be between ${min} and ${max}, got ${value}`);
}

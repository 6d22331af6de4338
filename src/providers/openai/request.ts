import type { OwnedWireFields } from "../owned-fields.js";
import {
  ResponseFormatType,
  ToolChoiceMode,
  type CompletionRequest,
  type ContentPart,
  type EmbeddingRequest,
  type ImageGenerationRequest,
  type Message,
  type ModerationRequest,
  type RequestOptions,
  type ResponseFormat,
  type ToolChoice,
} from "../../../gen/ts/switchyard/v1/inference_pb.js";
import { invalidField } from "../../errors/gateway-error.js";
import type { WireDialect } from "./dialect.js";
import type {
  WireChatRequest,
  WireContentPart,
  WireEmbeddingRequest,
  WireImageRequest,
  WireMessage,
  WireModerationRequest,
  WireResponseFormat,
  WireRole,
  WireToolChoice,
} from "./wire.js";

/** Who is asking, for error messages that name the provider. */
export interface WireTarget {
  provider: string;
  model: string;
  dialect: WireDialect;
}

/** The POST /chat/completions body for a unified request. */
export function chatBody(request: CompletionRequest, target: WireTarget, stream: boolean): WireChatRequest {
  const { dialect, provider } = target;
  const body: WireChatRequest = {
    model: target.model,
    messages: request.messages.map((message, i) => wireMessage(message, `messages[${i}]`, target)),
  };
  if (request.tools.length > 0) {
    if (!dialect.tools) throw invalidField("tools", `${provider} does not support tools`);
    body.tools = request.tools.map((tool) => {
      const fn = tool.function!;
      return {
        type: "function" as const,
        function: {
          name: fn.name,
          ...(fn.description ? { description: fn.description } : {}),
          ...(fn.parameters ? { parameters: fn.parameters } : {}),
          ...(fn.strict !== undefined ? { strict: fn.strict } : {}),
        },
      };
    });
    // OpenAI rejects parallel_tool_calls on a request without tools.
    if (request.parallelToolCalls !== undefined) body.parallel_tool_calls = request.parallelToolCalls;
  }
  const toolChoice = wireToolChoice(request.toolChoice, dialect);
  if (toolChoice !== undefined) {
    if (!dialect.tools) throw invalidField("tool_choice", `${provider} does not support tools`);
    body.tool_choice = toolChoice;
  }
  const format = wireResponseFormat(request.responseFormat);
  if (format) body.response_format = format;
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.topP !== undefined) body.top_p = request.topP;
  if (request.maxTokens !== undefined) body[dialect.maxTokensField] = request.maxTokens;
  if (request.stop.length > 0) body.stop = [...request.stop];
  if (request.n !== undefined) body.n = request.n;
  if (request.seed !== undefined) body[dialect.seedField] = Number(request.seed);
  if (request.presencePenalty !== undefined) body.presence_penalty = request.presencePenalty;
  if (request.frequencyPenalty !== undefined) body.frequency_penalty = request.frequencyPenalty;
  if (request.user && dialect.userField) body.user = request.user;
  // OpenAI's own prompt-cache routing hint; other OpenAI-wire providers may reject the unknown field.
  if (request.promptCacheKey && (provider === "openai" || provider === "azure")) body.prompt_cache_key = request.promptCacheKey;
  if (stream) {
    body.stream = true;
    if (dialect.streamUsage) body.stream_options = { include_usage: true };
  }
  return withProviderOptions(body, request.options);
}

function wireMessage(message: Message, at: string, target: WireTarget): WireMessage {
  const role = (message.role === "developer" && !target.dialect.developerRole ? "system" : message.role) as WireRole;
  const out: WireMessage = { role, content: message.parts.length > 0 ? message.parts.map((p, j) => wirePart(p, `${at}.parts[${j}]`, target)) : message.content };
  if (message.name !== undefined) out.name = message.name;
  if (message.toolCalls.length > 0) {
    out.tool_calls = message.toolCalls.map((call) => ({
      id: call.id,
      type: "function" as const,
      function: { name: call.function?.name ?? "", arguments: call.function?.arguments ?? "" },
    }));
    // An assistant turn that only calls tools has no text: OpenAI wants null, not "".
    if (out.content === "") out.content = null;
  }
  if (message.role === "tool") out.tool_call_id = message.toolCallId;
  return out;
}

function wirePart(part: ContentPart, at: string, target: WireTarget): WireContentPart {
  const { part: value } = part;
  if (value.case === "text") return { type: "text", text: value.value };
  if (value.case === "image") {
    if (!target.dialect.images) throw invalidField(`${at}.image`, `${target.provider} does not accept images in messages`);
    const image = value.value;
    // OpenAI takes inline images only as data URLs (https://platform.openai.com/docs/guides/images-vision).
    const url =
      image.source.case === "data" ? `data:${image.mimeType};base64,${Buffer.from(image.source.value).toString("base64")}` : image.source.value ?? "";
    return { type: "image_url", image_url: { url, ...(image.detail ? { detail: image.detail } : {}) } };
  }
  throw invalidField(at, "is empty (set text or image)");
}

function wireToolChoice(choice: ToolChoice | undefined, dialect: WireDialect): WireToolChoice | undefined {
  const value = choice?.choice;
  if (value?.case === "functionName") return { type: "function", function: { name: value.value } };
  if (value?.case === "mode") {
    if (value.value === ToolChoiceMode.AUTO) return "auto";
    if (value.value === ToolChoiceMode.NONE) return "none";
    if (value.value === ToolChoiceMode.REQUIRED) return dialect.toolChoiceRequired;
  }
  return undefined;
}

function wireResponseFormat(format: ResponseFormat | undefined): WireResponseFormat | undefined {
  switch (format?.type) {
    case ResponseFormatType.TEXT:
      return { type: "text" };
    case ResponseFormatType.JSON_OBJECT:
      return { type: "json_object" };
    case ResponseFormatType.JSON_SCHEMA: {
      const schema = format.jsonSchema!;
      return {
        type: "json_schema",
        json_schema: {
          name: schema.name,
          ...(schema.description ? { description: schema.description } : {}),
          ...(schema.schema ? { schema: schema.schema } : {}),
          ...(schema.strict !== undefined ? { strict: schema.strict } : {}),
        },
      };
    }
    default:
      return undefined;
  }
}

export function embeddingBody(request: EmbeddingRequest, target: WireTarget): WireEmbeddingRequest {
  const body: WireEmbeddingRequest = { model: target.model, input: [...request.input] };
  if (request.dimensions !== undefined) body.dimensions = request.dimensions;
  if (request.user && target.dialect.userField) body.user = request.user;
  return withProviderOptions(body, request.options);
}

export function imageBody(request: ImageGenerationRequest, target: WireTarget): WireImageRequest {
  const body: WireImageRequest = { model: target.model, prompt: request.prompt };
  if (request.n !== undefined) body.n = request.n;
  if (request.size) body.size = request.size;
  if (request.quality) body.quality = request.quality;
  if (request.style) body.style = request.style;
  if (request.user && target.dialect.userField) body.user = request.user;
  return withProviderOptions(body, request.options);
}

export function moderationBody(request: ModerationRequest, target: WireTarget): WireModerationRequest {
  return withProviderOptions({ model: target.model, input: [...request.input] }, request.options);
}

/**
 * Merges `options.provider_options` into the body as-is, top level, so
 * any upstream field the unified request cannot express (logprobs,
 * reasoning_effort, service_tier, ...) still reaches the provider. The
 * one field it may not set is `stream`: the gateway reads the answer
 * according to the RPC that was called.
 */
function withProviderOptions<T extends Record<string, unknown>>(body: T, options: RequestOptions | undefined): T {
  const extra = options?.providerOptions;
  if (!extra) return body;
  if ("stream" in extra) throw invalidField("options.provider_options.stream", "is decided by the RPC (Complete or StreamComplete)");
  return Object.assign(body, extra);
}

/**
 * Body fields the builders above fill from the unified request (for every
 * OpenAI-wire provider, both names of the token limit: the dialect picks
 * one, and the other would cap the same thing behind the unified field's
 * back). `response_format` of an image request is not ours: the unified
 * request has no such field, and b64_json goes through provider_options.
 */
export const OPENAI_WIRE_OWNED_FIELDS: OwnedWireFields = {
  completion: [
    "model", "messages", "stream", "stream_options", "tools", "tool_choice", "parallel_tool_calls", "functions", "function_call",
    "n", "max_tokens", "max_completion_tokens", "response_format", "temperature", "top_p", "stop", "seed",
    "presence_penalty", "frequency_penalty", "user",
  ],
  embedding: ["model", "input", "dimensions", "encoding_format", "user"],
  image: ["model", "prompt", "n", "size", "quality", "style", "user"],
  moderation: ["model", "input"],
};

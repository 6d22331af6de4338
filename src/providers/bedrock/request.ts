import type { OwnedWireFields } from "../owned-fields.js";
import type { JsonObject } from "@bufbuild/protobuf";
import {
  ResponseFormatType,
  ToolChoiceMode,
  type CompletionRequest,
  type ContentPart,
  type Message,
} from "../../../gen/ts/switchyard/v1/inference_pb.js";
import { invalidField } from "../../errors/gateway-error.js";
import { appendAlternating, imageSource, messageText, parseToolArguments, rejectSingleChoiceUnsupported } from "../http/content.js";

/** Wire shapes of Converse (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html). */
export type ConverseContentBlock =
  | { text: string }
  | { image: { format: string; source: { bytes: string } } }
  | { toolUse: { toolUseId: string; name: string; input: Record<string, unknown> } }
  | { toolResult: { toolUseId: string; content: Array<{ text: string } | { json: unknown }> } }
  | ConverseCachePoint;

/**
 * A prompt-caching checkpoint: a block of its own placed after the cached
 * prefix, in messages, system and tools
 * (https://docs.aws.amazon.com/bedrock/latest/userguide/prompt-caching.html).
 * Converse has no TTL choice here; the default (5 minutes) applies.
 */
export interface ConverseCachePoint {
  cachePoint: { type: "default" };
}

const CACHE_POINT: ConverseCachePoint = { cachePoint: { type: "default" } };

export interface ConverseMessage {
  role: "user" | "assistant";
  content: ConverseContentBlock[];
}

export interface ConverseRequestBody {
  messages: ConverseMessage[];
  system?: Array<{ text: string } | ConverseCachePoint>;
  inferenceConfig?: { maxTokens?: number; temperature?: number; topP?: number; stopSequences?: string[] };
  toolConfig?: {
    tools: Array<{ toolSpec: { name: string; description?: string; inputSchema: { json: JsonObject } } } | ConverseCachePoint>;
    toolChoice?: { auto: object } | { any: object } | { tool: { name: string } };
  };
  [providerOption: string]: unknown;
}

/**
 * JSON output uses a forced tool, as for Anthropic: the model must call
 * this tool with the requested schema and its input is the answer's
 * content. Bedrock supports forced tool choice for Anthropic, Mistral
 * Large and Nova models; other models answer with a validation error.
 */
export const JSON_TOOL_NAME = "json_response";

/** Image formats Converse accepts, by MIME type. */
const IMAGE_FORMATS: Record<string, string> = { "image/png": "png", "image/jpeg": "jpeg", "image/jpg": "jpeg", "image/gif": "gif", "image/webp": "webp" };

/** The unified request as a Converse body (the model id goes in the URL). */
export function toConverseRequest(request: CompletionRequest): ConverseRequestBody {
  rejectSingleChoiceUnsupported(request, "Bedrock Converse");
  const system: Array<{ text: string } | ConverseCachePoint> = [];
  const messages: ConverseMessage[] = [];
  request.messages.forEach((message, i) => {
    const field = `messages[${i}]`;
    switch (message.role) {
      case "system":
      case "developer":
        system.push({ text: messageText(message) });
        if (message.cacheBreakpoint || message.parts.some((p) => p.cacheBreakpoint)) system.push(CACHE_POINT);
        return;
      case "user":
        return appendAlternating(messages, "user", userBlocks(message, field));
      case "assistant": {
        // An empty assistant turn (no text, no tool calls) is rejected upstream ("content must be non-empty"): skip it.
        const blocks = assistantBlocks(message, field);
        return blocks.length > 0 ? appendAlternating(messages, "assistant", withCachePoint(blocks, message)) : undefined;
      }
      case "tool":
        if (!message.toolCallId) throw invalidField(`${field}.tool_call_id`, "is required for role tool");
        return appendAlternating(
          messages,
          "user",
          withCachePoint([{ toolResult: { toolUseId: message.toolCallId, content: [toolResultContent(messageText(message))] } }], message),
        );
      default:
        throw invalidField(`${field}.role`, `unsupported role "${message.role}"`);
    }
  });

  const body: ConverseRequestBody = { messages };
  if (system.length > 0) body.system = system;
  const inference: NonNullable<ConverseRequestBody["inferenceConfig"]> = {};
  if (request.maxTokens !== undefined) inference.maxTokens = request.maxTokens;
  if (request.temperature !== undefined) inference.temperature = request.temperature;
  if (request.topP !== undefined) inference.topP = request.topP;
  if (request.stop.length > 0) inference.stopSequences = [...request.stop];
  if (Object.keys(inference).length > 0) body.inferenceConfig = inference;
  const toolConfig = toolConfigOf(request);
  if (toolConfig) body.toolConfig = toolConfig;
  // e.g. additionalModelRequestFields, guardrailConfig, performanceConfig pass through as given.
  Object.assign(body, request.options?.providerOptions ?? {});
  return body;
}



function userBlocks(message: Message, field: string): ConverseContentBlock[] {
  if (message.parts.length === 0) return withCachePoint([{ text: message.content }], message);
  const blocks = message.parts.flatMap((part, j) => {
    const block = partBlock(part, `${field}.parts[${j}]`);
    return part.cacheBreakpoint ? [block, CACHE_POINT] : [block];
  });
  return withCachePoint(blocks, message);
}

/** A message-level breakpoint: a cachePoint block after the message's content (once). */
function withCachePoint(blocks: ConverseContentBlock[], message: Message): ConverseContentBlock[] {
  if (!message.cacheBreakpoint || blocks.length === 0 || "cachePoint" in blocks[blocks.length - 1]!) return blocks;
  return [...blocks, CACHE_POINT];
}

function partBlock(part: ContentPart, field: string): ConverseContentBlock {
  if (part.part.case === "text") return { text: part.part.value };
  if (part.part.case === "image") {
    const image = imageSource(part.part.value, `${field}.image`);
    if (image.kind === "url") throw invalidField(`${field}.image.url`, "Bedrock Converse takes images as data only (bytes or a data: URL), not http URLs");
    const format = IMAGE_FORMATS[image.mimeType.toLowerCase()];
    if (!format) throw invalidField(`${field}.image.mime_type`, `"${image.mimeType}" is not one of ${Object.keys(IMAGE_FORMATS).join(", ")}`);
    return { image: { format, source: { bytes: image.base64 } } };
  }
  throw invalidField(field, "is empty");
}

function assistantBlocks(message: Message, field: string): ConverseContentBlock[] {
  const blocks: ConverseContentBlock[] = [];
  const text = messageText(message);
  if (text) blocks.push({ text });
  message.toolCalls.forEach((call, j) => {
    const callField = `${field}.tool_calls[${j}]`;
    if (!call.function?.name) throw invalidField(`${callField}.function.name`, "is required");
    blocks.push({ toolUse: { toolUseId: call.id, name: call.function.name, input: parseToolArguments(call.function.arguments, `${callField}.function.arguments`) } });
  });
  return blocks;
}

/** A JSON tool result goes as a json block (models see structure), anything else as text. */
function toolResultContent(text: string): { text: string } | { json: unknown } {
  try {
    const value = JSON.parse(text) as unknown;
    if (value !== null && typeof value === "object") return { json: value };
  } catch {
    // plain text result
  }
  return { text };
}

function toolConfigOf(request: CompletionRequest): ConverseRequestBody["toolConfig"] {
  const format = request.responseFormat?.type;
  if (format === ResponseFormatType.JSON_OBJECT || format === ResponseFormatType.JSON_SCHEMA) {
    if (request.tools.length > 0) throw invalidField("response_format", "JSON output on Bedrock uses a forced tool and cannot be combined with tools");
    const schema = format === ResponseFormatType.JSON_SCHEMA ? request.responseFormat?.jsonSchema?.schema : undefined;
    if (format === ResponseFormatType.JSON_SCHEMA && !schema) throw invalidField("response_format.json_schema.schema", "is required");
    return {
      tools: [
        {
          toolSpec: {
            name: JSON_TOOL_NAME,
            description: request.responseFormat?.jsonSchema?.description || "Respond with a JSON object.",
            inputSchema: { json: schema ?? { type: "object" } },
          },
        },
      ],
      toolChoice: { tool: { name: JSON_TOOL_NAME } },
    };
  }
  if (request.tools.length === 0) return undefined;
  const choice = request.toolChoice?.choice;
  if (choice?.case === "mode" && choice.value === ToolChoiceMode.NONE) {
    throw invalidField("tool_choice", "Bedrock Converse has no \"none\" tool choice; send the request without tools");
  }
  const tools = request.tools.flatMap((tool, i) => {
    const fn = tool.function;
    if (!fn?.name) throw invalidField(`tools[${i}].function.name`, "is required");
    const spec = {
      toolSpec: {
        name: fn.name,
        ...(fn.description ? { description: fn.description } : {}),
        inputSchema: { json: fn.parameters ?? { type: "object", properties: {} } },
      },
    };
    return tool.cacheBreakpoint ? [spec, CACHE_POINT] : [spec];
  });
  if (choice?.case === "functionName") return { tools, toolChoice: { tool: { name: choice.value } } };
  if (choice?.case === "mode" && choice.value === ToolChoiceMode.REQUIRED) return { tools, toolChoice: { any: {} } };
  if (choice?.case === "mode" && choice.value === ToolChoiceMode.AUTO) return { tools, toolChoice: { auto: {} } };
  return { tools };
}

/**
 * Converse body fields the builder above fills from the unified request
 * (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html),
 * and the InvokeModel embedding bodies' input fields (Titan, Cohere).
 */
export const BEDROCK_OWNED_FIELDS: OwnedWireFields = {
  completion: ["modelId", "messages", "system", "inferenceConfig", "toolConfig"],
  embedding: ["inputText", "dimensions", "texts"],
};

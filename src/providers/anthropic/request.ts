import type { OwnedWireFields } from "../owned-fields.js";
import type { JsonObject } from "@bufbuild/protobuf";
import {
  ResponseFormatType,
  ToolChoiceMode,
  type CacheBreakpoint,
  type CompletionRequest,
  type ContentPart,
  type Message,
} from "../../../gen/ts/switchyard/v1/inference_pb.js";
import { invalidField } from "../../errors/gateway-error.js";
import { appendAlternating, imageSource, messageText, parseToolArguments, rejectSingleChoiceUnsupported } from "../http/content.js";

/** Wire shapes of POST /v1/messages (https://docs.anthropic.com/en/api/messages). */
export type AnthropicContentBlock = (
  | { type: "text"; text: string }
  | { type: "image"; source: { type: "base64"; media_type: string; data: string } | { type: "url"; url: string } }
  | { type: "tool_use"; id: string; name: string; input: Record<string, unknown> }
  | { type: "tool_result"; tool_use_id: string; content: string; is_error?: boolean }
) & { cache_control?: AnthropicCacheControl };

/** A prompt-caching breakpoint (https://docs.anthropic.com/en/docs/build-with-claude/prompt-caching). */
export interface AnthropicCacheControl {
  type: "ephemeral";
  ttl?: "5m" | "1h";
}

export interface AnthropicMessage {
  role: "user" | "assistant";
  content: AnthropicContentBlock[];
}

export interface AnthropicTool {
  name: string;
  description?: string;
  input_schema: JsonObject;
  cache_control?: AnthropicCacheControl;
}

export type AnthropicToolChoice =
  | { type: "auto" | "any" | "none"; disable_parallel_tool_use?: boolean }
  | { type: "tool"; name: string; disable_parallel_tool_use?: boolean };

export interface AnthropicRequestBody {
  model: string;
  messages: AnthropicMessage[];
  max_tokens: number;
  system?: string | Array<{ type: "text"; text: string; cache_control?: AnthropicCacheControl }>;
  temperature?: number;
  top_p?: number;
  stop_sequences?: string[];
  tools?: AnthropicTool[];
  tool_choice?: AnthropicToolChoice;
  metadata?: { user_id: string };
  stream?: boolean;
  [providerOption: string]: unknown;
}

/**
 * Anthropic requires max_tokens; this is used when neither the request nor
 * the deployment's max_output_tokens says otherwise.
 */
export const DEFAULT_MAX_TOKENS = 4096;

/**
 * JSON output is produced with a forced tool: the model must call this
 * tool, whose input_schema is the requested schema, and its input is
 * returned as the message content. Anthropic documents this as the way
 * to get schema-shaped JSON ("JSON mode" in the tool-use guide); unlike a
 * "{" prefill it also enforces the schema and works when streaming.
 */
export const JSON_TOOL_NAME = "json_response";

export interface AnthropicRequestOptions {
  model: string;
  /** The deployment's max_output_tokens, if configured. */
  maxOutputTokens?: number;
  stream: boolean;
}

/** The unified request as an Anthropic Messages body. Unsupported features throw INVALID_ARGUMENT naming the field. */
export function toAnthropicRequest(request: CompletionRequest, options: AnthropicRequestOptions): AnthropicRequestBody {
  rejectSingleChoiceUnsupported(request, "Anthropic");
  const system: string[] = [];
  // System text blocks, kept apart only when a cache breakpoint sits in the system prompt.
  const systemBlocks: Array<{ type: "text"; text: string; cache_control?: AnthropicCacheControl }> = [];
  const messages: AnthropicMessage[] = [];
  request.messages.forEach((message, i) => {
    const field = `messages[${i}]`;
    switch (message.role) {
      case "system":
      case "developer":
        // Anthropic takes the system prompt as a top-level field, not a message.
        system.push(messageText(message));
        systemBlocks.push(...systemTextBlocks(message));
        return;
      case "user":
        return appendAlternating(messages, "user", markLast(userBlocks(message, field), message));
      case "assistant": {
        // An empty assistant turn (no text, no tool calls) is rejected upstream ("content must be non-empty"): skip it.
        const blocks = assistantBlocks(message, field);
        return blocks.length > 0 ? appendAlternating(messages, "assistant", markLast(blocks, message)) : undefined;
      }
      case "tool":
        // Tool results travel inside a user turn.
        if (!message.toolCallId) throw invalidField(`${field}.tool_call_id`, "is required for role tool");
        return appendAlternating(
          messages,
          "user",
          markLast([{ type: "tool_result", tool_use_id: message.toolCallId, content: messageText(message) }], message),
        );
      default:
        throw invalidField(`${field}.role`, `unsupported role "${message.role}"`);
    }
  });

  const body: AnthropicRequestBody = {
    model: options.model,
    messages,
    max_tokens: request.maxTokens ?? options.maxOutputTokens ?? DEFAULT_MAX_TOKENS,
  };
  if (system.length > 0) body.system = systemBlocks.some((b) => b.cache_control) ? systemBlocks : system.join("\n\n");
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.topP !== undefined) body.top_p = request.topP;
  if (request.stop.length > 0) body.stop_sequences = [...request.stop];
  if (request.user) body.metadata = { user_id: request.user };
  Object.assign(body, toolFields(request));
  if (options.stream) body.stream = true;
  // Provider-specific fields (e.g. thinking, top_k) pass through as given.
  Object.assign(body, request.options?.providerOptions ?? {});
  return body;
}



function userBlocks(message: Message, field: string): AnthropicContentBlock[] {
  if (message.parts.length === 0) return [{ type: "text", text: message.content }];
  return message.parts.map((part, j) => withCacheControl(partBlock(part, `${field}.parts[${j}]`), part.cacheBreakpoint));
}

/** Anthropic's cache_control for a unified breakpoint: 5 minutes unless an hour or more is asked for. */
export function cacheControlOf(breakpoint: CacheBreakpoint | undefined): AnthropicCacheControl | undefined {
  if (!breakpoint) return undefined;
  if (breakpoint.ttlS >= 3600) return { type: "ephemeral", ttl: "1h" };
  return breakpoint.ttlS > 0 ? { type: "ephemeral", ttl: "5m" } : { type: "ephemeral" };
}

function withCacheControl<T extends { cache_control?: AnthropicCacheControl }>(block: T, breakpoint: CacheBreakpoint | undefined): T {
  const control = cacheControlOf(breakpoint);
  return control ? { ...block, cache_control: control } : block;
}

/** A message-level breakpoint marks the message's last block: the prefix ends there. */
function markLast(blocks: AnthropicContentBlock[], message: Message): AnthropicContentBlock[] {
  if (!message.cacheBreakpoint || blocks.length === 0) return blocks;
  const last = blocks.length - 1;
  return blocks.map((b, i) => (i === last ? withCacheControl(b, message.cacheBreakpoint) : b));
}

type SystemBlock = { type: "text"; text: string; cache_control?: AnthropicCacheControl };

function systemTextBlocks(message: Message): SystemBlock[] {
  const blocks: SystemBlock[] = [];
  if (message.parts.length === 0) blocks.push({ type: "text", text: message.content });
  for (const p of message.parts) if (p.part.case === "text") blocks.push(withCacheControl<SystemBlock>({ type: "text", text: p.part.value }, p.cacheBreakpoint));
  return markLast(blocks, message) as SystemBlock[];
}

function partBlock(part: ContentPart, field: string): AnthropicContentBlock {
  if (part.part.case === "text") return { type: "text", text: part.part.value };
  if (part.part.case === "image") {
    const image = imageSource(part.part.value, `${field}.image`);
    return image.kind === "base64"
      ? { type: "image", source: { type: "base64", media_type: image.mimeType, data: image.base64 } }
      : { type: "image", source: { type: "url", url: image.url } };
  }
  throw invalidField(field, "is empty");
}

function assistantBlocks(message: Message, field: string): AnthropicContentBlock[] {
  const blocks: AnthropicContentBlock[] = [];
  const text = messageText(message);
  if (text) blocks.push({ type: "text", text });
  message.toolCalls.forEach((call, j) => {
    const callField = `${field}.tool_calls[${j}]`;
    if (!call.function?.name) throw invalidField(`${callField}.function.name`, "is required");
    blocks.push({
      type: "tool_use",
      id: call.id,
      name: call.function.name,
      input: parseToolArguments(call.function.arguments, `${callField}.function.arguments`),
    });
  });
  return blocks;
}

function toolFields(request: CompletionRequest): Pick<AnthropicRequestBody, "tools" | "tool_choice"> {
  const format = request.responseFormat?.type;
  if (format === ResponseFormatType.JSON_OBJECT || format === ResponseFormatType.JSON_SCHEMA) {
    if (request.tools.length > 0) {
      throw invalidField("response_format", "JSON output on Anthropic uses a forced tool and cannot be combined with tools");
    }
    const schema = format === ResponseFormatType.JSON_SCHEMA ? request.responseFormat?.jsonSchema?.schema : undefined;
    if (format === ResponseFormatType.JSON_SCHEMA && !schema) throw invalidField("response_format.json_schema.schema", "is required");
    return {
      tools: [
        {
          name: JSON_TOOL_NAME,
          description: request.responseFormat?.jsonSchema?.description || "Respond with a JSON object.",
          input_schema: schema ?? { type: "object" },
        },
      ],
      tool_choice: { type: "tool", name: JSON_TOOL_NAME },
    };
  }
  if (request.tools.length === 0) return {};
  const tools = request.tools.map((tool, i): AnthropicTool => {
    const fn = tool.function;
    if (!fn?.name) throw invalidField(`tools[${i}].function.name`, "is required");
    return {
      name: fn.name,
      ...(fn.description ? { description: fn.description } : {}),
      input_schema: fn.parameters ?? { type: "object", properties: {} },
      ...(tool.cacheBreakpoint ? { cache_control: cacheControlOf(tool.cacheBreakpoint) } : {}),
    };
  });
  const choice = toolChoice(request);
  return choice ? { tools, tool_choice: choice } : { tools };
}

function toolChoice(request: CompletionRequest): AnthropicToolChoice | undefined {
  const choice = request.toolChoice?.choice;
  // parallel_tool_calls=false is Anthropic's disable_parallel_tool_use, which lives on tool_choice.
  const noParallel = request.parallelToolCalls === false ? { disable_parallel_tool_use: true } : {};
  if (choice?.case === "functionName") return { type: "tool", name: choice.value, ...noParallel };
  if (choice?.case === "mode") {
    if (choice.value === ToolChoiceMode.REQUIRED) return { type: "any", ...noParallel };
    if (choice.value === ToolChoiceMode.NONE) return { type: "none" };
    if (choice.value === ToolChoiceMode.AUTO) return { type: "auto", ...noParallel };
  }
  return request.parallelToolCalls === false ? { type: "auto", ...noParallel } : undefined;
}

/** Messages API body fields the builder above fills from the unified request (https://docs.anthropic.com/en/api/messages). */
export const ANTHROPIC_OWNED_FIELDS: OwnedWireFields = {
  completion: ["model", "messages", "system", "max_tokens", "temperature", "top_p", "stop_sequences", "metadata", "tools", "tool_choice", "stream"],
};

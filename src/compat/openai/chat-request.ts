import { create, type JsonObject, type MessageInitShape } from "@bufbuild/protobuf";
import {
  CompletionRequestSchema,
  ResponseFormatType,
  ToolChoiceMode,
  type CompletionRequest,
  type ContentPartSchema,
  type MessageSchema,
  type ResponseFormatSchema,
  type ToolChoiceSchema,
  type ToolSchema,
} from "../../../gen/ts/switchyard/v1/inference_pb.js";
import { cacheBreakpointOf } from "../http/cache-breakpoint.js";
import { InvalidCompatRequest } from "../http/error-status.js";
import { arr, asObject, bool, num, obj, str, stringMap, uint, unknownFields } from "../http/fields.js";

type MessageInit = MessageInitShape<typeof MessageSchema>;
type PartInit = MessageInitShape<typeof ContentPartSchema>;

/** Chat Completions fields this surface translates; anything else is passed upstream as provider_options. */
const KNOWN_FIELDS = new Set([
  "model", "messages", "tools", "tool_choice", "parallel_tool_calls", "response_format", "temperature", "top_p",
  "max_tokens", "max_completion_tokens", "stop", "n", "seed", "presence_penalty", "frequency_penalty", "user",
  "metadata", "stream", "stream_options", "prompt_cache_key",
  // Legacy function-calling fields have no unified equivalent and must not leak upstream beside `tools`.
  "functions", "function_call",
]);

export interface ChatCall {
  request: CompletionRequest;
  stream: boolean;
  /** stream_options.include_usage: send a last chunk with usage and no choices. */
  includeUsage: boolean;
}

/** POST /v1/chat/completions body → the unified CompletionRequest. */
export function chatRequestFromWire(body: Record<string, unknown>): ChatCall {
  const model = str(body, "model");
  if (!model) throw new InvalidCompatRequest("is required", "model");
  const messages = arr(body, "messages");
  if (!messages || messages.length === 0) throw new InvalidCompatRequest("must hold at least one message", "messages");
  if (body.functions !== undefined || body.function_call !== undefined) {
    throw new InvalidCompatRequest("the legacy functions API is not supported; use tools", "functions");
  }
  const maxTokens = uint(body, "max_completion_tokens") ?? uint(body, "max_tokens");
  const stop = body.stop;
  const seed = num(body, "seed");
  const providerOptions = unknownFields(body, KNOWN_FIELDS);
  const request = create(CompletionRequestSchema, {
    model,
    messages: messages.map((m, i) => wireMessage(asObject(m, `messages[${i}]`), `messages[${i}]`)),
    tools: (arr(body, "tools") ?? []).map((t, i) => wireTool(asObject(t, `tools[${i}]`), `tools[${i}]`)),
    toolChoice: toolChoice(body.tool_choice),
    parallelToolCalls: bool(body, "parallel_tool_calls"),
    responseFormat: responseFormat(obj(body, "response_format")),
    temperature: num(body, "temperature"),
    topP: num(body, "top_p"),
    maxTokens,
    stop: typeof stop === "string" ? [stop] : Array.isArray(stop) ? stop.map(String) : [],
    n: uint(body, "n"),
    seed: seed === undefined ? undefined : BigInt(Math.trunc(seed)),
    presencePenalty: num(body, "presence_penalty"),
    frequencyPenalty: num(body, "frequency_penalty"),
    user: str(body, "user") ?? "",
    metadata: stringMap(body, "metadata"),
    promptCacheKey: str(body, "prompt_cache_key") ?? "",
    options: providerOptions ? { providerOptions } : undefined,
  });
  const stream = bool(body, "stream") ?? false;
  const includeUsage = bool(obj(body, "stream_options") ?? {}, "include_usage", "stream_options.include_usage") ?? false;
  return { request, stream, includeUsage };
}

export function wireTool(tool: Record<string, unknown>, path: string): MessageInitShape<typeof ToolSchema> {
  if (tool.type !== undefined && tool.type !== "function") throw new InvalidCompatRequest(`type "${String(tool.type)}" is not supported`, `${path}.type`);
  const fn = obj(tool, "function", `${path}.function`);
  if (!fn) throw new InvalidCompatRequest("is required", `${path}.function`);
  const name = str(fn, "name", `${path}.function.name`);
  if (!name) throw new InvalidCompatRequest("is required", `${path}.function.name`);
  return {
    function: {
      name,
      description: str(fn, "description", `${path}.function.description`) ?? "",
      parameters: obj(fn, "parameters", `${path}.function.parameters`) as JsonObject | undefined,
      strict: bool(fn, "strict", `${path}.function.strict`),
    },
    cacheBreakpoint: cacheBreakpointOf(tool, path),
  };
}

function wireMessage(m: Record<string, unknown>, path: string): MessageInit {
  const role = str(m, "role", `${path}.role`);
  if (!role) throw new InvalidCompatRequest("is required", `${path}.role`);
  const out: MessageInit = {
    role,
    name: str(m, "name", `${path}.name`),
    toolCallId: str(m, "tool_call_id", `${path}.tool_call_id`) ?? "",
    cacheBreakpoint: cacheBreakpointOf(m, path),
  };
  const content = m.content;
  if (typeof content === "string") out.content = content;
  else if (Array.isArray(content)) out.parts = content.map((p, i) => wirePart(asObject(p, `${path}.content[${i}]`), `${path}.content[${i}]`));
  else if (content !== undefined && content !== null) throw new InvalidCompatRequest("must be a string or an array of parts", `${path}.content`);
  const calls = arr(m, "tool_calls", `${path}.tool_calls`);
  if (calls) {
    out.toolCalls = calls.map((c, i) => {
      const call = asObject(c, `${path}.tool_calls[${i}]`);
      const fn = obj(call, "function", `${path}.tool_calls[${i}].function`) ?? {};
      return { id: str(call, "id") ?? "", function: { name: str(fn, "name") ?? "", arguments: str(fn, "arguments") ?? "" } };
    });
  }
  return out;
}

function wirePart(p: Record<string, unknown>, path: string): PartInit {
  switch (p.type) {
    case "text":
      return { part: { case: "text", value: str(p, "text", `${path}.text`) ?? "" }, cacheBreakpoint: cacheBreakpointOf(p, path) };
    case "image_url": {
      const image = obj(p, "image_url", `${path}.image_url`);
      const url = image && str(image, "url", `${path}.image_url.url`);
      if (!url) throw new InvalidCompatRequest("is required", `${path}.image_url.url`);
      return { part: { case: "image", value: { source: { case: "url", value: url }, detail: str(image, "detail") ?? "" } }, cacheBreakpoint: cacheBreakpointOf(p, path) };
    }
    default:
      throw new InvalidCompatRequest(`part type "${String(p.type)}" is not supported`, `${path}.type`);
  }
}

function toolChoice(v: unknown): MessageInitShape<typeof ToolChoiceSchema> | undefined {
  if (v === undefined || v === null) return undefined;
  const modes: Record<string, ToolChoiceMode> = { auto: ToolChoiceMode.AUTO, none: ToolChoiceMode.NONE, required: ToolChoiceMode.REQUIRED };
  if (typeof v === "string") {
    const mode = modes[v];
    if (mode === undefined) throw new InvalidCompatRequest(`"${v}" is not one of auto, none, required`, "tool_choice");
    return { choice: { case: "mode", value: mode } };
  }
  const fn = obj(asObject(v, "tool_choice"), "function", "tool_choice.function");
  const name = fn && str(fn, "name", "tool_choice.function.name");
  if (!name) throw new InvalidCompatRequest("must name a function", "tool_choice");
  return { choice: { case: "functionName", value: name } };
}

function responseFormat(f: Record<string, unknown> | undefined): MessageInitShape<typeof ResponseFormatSchema> | undefined {
  if (!f) return undefined;
  switch (f.type) {
    case "text":
      return { type: ResponseFormatType.TEXT };
    case "json_object":
      return { type: ResponseFormatType.JSON_OBJECT };
    case "json_schema": {
      const js = obj(f, "json_schema", "response_format.json_schema");
      if (!js) throw new InvalidCompatRequest("is required", "response_format.json_schema");
      return {
        type: ResponseFormatType.JSON_SCHEMA,
        jsonSchema: {
          name: str(js, "name") ?? "",
          description: str(js, "description") ?? "",
          schema: obj(js, "schema") as JsonObject | undefined,
          strict: bool(js, "strict"),
        },
      };
    }
    default:
      throw new InvalidCompatRequest(`type "${String(f.type)}" is not supported`, "response_format.type");
  }
}

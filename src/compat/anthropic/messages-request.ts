import { create, type JsonObject, type MessageInitShape } from "@bufbuild/protobuf";
import {
  CompletionRequestSchema,
  ToolChoiceMode,
  type CompletionRequest,
  type ContentPartSchema,
  type MessageSchema,
  type ToolCallSchema,
  type ToolChoiceSchema,
  type ToolSchema,
} from "../../../gen/ts/switchyard/v1/inference_pb.js";
import { cacheBreakpointOf } from "../http/cache-breakpoint.js";
import { InvalidCompatRequest } from "../http/error-status.js";
import { arr, asObject, num, obj, str, uint, unknownFields } from "../http/fields.js";

type MessageInit = MessageInitShape<typeof MessageSchema>;
type PartInit = MessageInitShape<typeof ContentPartSchema>;

/** Messages API fields this surface translates; others go upstream as provider_options. */
const KNOWN_FIELDS = new Set([
  "model", "messages", "system", "max_tokens", "tools", "tool_choice", "stop_sequences", "temperature", "top_p", "metadata", "stream",
]);

export interface MessagesCall {
  request: CompletionRequest;
  stream: boolean;
}

/** POST /v1/messages body → the unified CompletionRequest (tool_result blocks become role "tool" messages). */
export function messagesRequestFromWire(body: Record<string, unknown>, options: { requireMaxTokens: boolean } = { requireMaxTokens: true }): MessagesCall {
  const model = str(body, "model");
  if (!model) throw new InvalidCompatRequest("is required", "model");
  const maxTokens = uint(body, "max_tokens");
  if (options.requireMaxTokens && maxTokens === undefined) throw new InvalidCompatRequest("is required", "max_tokens");
  const wireMessages = arr(body, "messages");
  if (!wireMessages || wireMessages.length === 0) throw new InvalidCompatRequest("must hold at least one message", "messages");
  const messages: MessageInit[] = [];
  const system = systemMessage(body.system);
  if (system) messages.push(system);
  wireMessages.forEach((m, i) => messages.push(...wireMessage(asObject(m, `messages[${i}]`), `messages[${i}]`)));
  const metadata = obj(body, "metadata") ?? {};
  const providerOptions = unknownFields(body, KNOWN_FIELDS);
  const stop = arr(body, "stop_sequences") ?? [];
  const request = create(CompletionRequestSchema, {
    model,
    messages,
    tools: (arr(body, "tools") ?? []).map((t, i) => wireTool(asObject(t, `tools[${i}]`), `tools[${i}]`)),
    ...toolChoice(obj(body, "tool_choice")),
    temperature: num(body, "temperature"),
    topP: num(body, "top_p"),
    maxTokens,
    stop: stop.map(String),
    user: typeof metadata.user_id === "string" ? metadata.user_id : "",
    options: providerOptions ? { providerOptions } : undefined,
  });
  return { request, stream: body.stream === true };
}

function systemMessage(system: unknown): MessageInit | undefined {
  if (system === undefined || system === null) return undefined;
  if (typeof system === "string") return { role: "system", content: system };
  if (!Array.isArray(system)) throw new InvalidCompatRequest("must be a string or an array of text blocks", "system");
  return { role: "system", parts: system.map((b, i) => textPart(asObject(b, `system[${i}]`), `system[${i}]`)) };
}

function textPart(block: Record<string, unknown>, path: string): PartInit {
  if (block.type !== "text") throw new InvalidCompatRequest(`block type "${String(block.type)}" is not allowed here`, `${path}.type`);
  return { part: { case: "text", value: str(block, "text", `${path}.text`) ?? "" }, cacheBreakpoint: cacheBreakpointOf(block, path) };
}

function imagePart(block: Record<string, unknown>, path: string): PartInit {
  const source = obj(block, "source", `${path}.source`);
  if (!source) throw new InvalidCompatRequest("is required", `${path}.source`);
  if (source.type === "base64") {
    const data = str(source, "data", `${path}.source.data`) ?? "";
    return {
      part: { case: "image", value: { source: { case: "data", value: Buffer.from(data, "base64") }, mimeType: str(source, "media_type") ?? "" } },
      cacheBreakpoint: cacheBreakpointOf(block, path),
    };
  }
  if (source.type === "url") {
    return { part: { case: "image", value: { source: { case: "url", value: str(source, "url", `${path}.source.url`) ?? "" } } }, cacheBreakpoint: cacheBreakpointOf(block, path) };
  }
  throw new InvalidCompatRequest(`source type "${String(source.type)}" is not supported`, `${path}.source.type`);
}

/** One Anthropic message; a user turn with tool_result blocks becomes one tool message per result, then the rest. */
function wireMessage(m: Record<string, unknown>, path: string): MessageInit[] {
  const role = str(m, "role", `${path}.role`);
  if (role !== "user" && role !== "assistant") throw new InvalidCompatRequest('must be "user" or "assistant"', `${path}.role`);
  if (typeof m.content === "string") return [{ role, content: m.content }];
  const blocks = arr(m, "content", `${path}.content`);
  if (!blocks) throw new InvalidCompatRequest("is required", `${path}.content`);
  const out: MessageInit[] = [];
  const parts: PartInit[] = [];
  const toolCalls: Array<MessageInitShape<typeof ToolCallSchema>> = [];
  // A marker on a tool_use block marks the end of the assistant turn that carries it.
  let turnBreakpoint: MessageInit["cacheBreakpoint"];
  blocks.forEach((b, i) => {
    const block = asObject(b, `${path}.content[${i}]`);
    const at = `${path}.content[${i}]`;
    switch (block.type) {
      case "text":
        parts.push(textPart(block, at));
        break;
      case "image":
        parts.push(imagePart(block, at));
        break;
      case "tool_use":
        toolCalls.push({ id: str(block, "id") ?? "", function: { name: str(block, "name") ?? "", arguments: JSON.stringify(block.input ?? {}) } });
        turnBreakpoint = cacheBreakpointOf(block, at) ?? turnBreakpoint;
        break;
      case "tool_result":
        out.push({
          role: "tool",
          toolCallId: str(block, "tool_use_id", `${at}.tool_use_id`) ?? "",
          ...toolResultContent(block.content, `${at}.content`),
          cacheBreakpoint: cacheBreakpointOf(block, at),
        });
        break;
      default:
        throw new InvalidCompatRequest(`block type "${String(block.type)}" is not supported`, `${at}.type`);
    }
  });
  if (parts.length > 0 || toolCalls.length > 0) {
    // A lone text block reads as plain content, the shape every provider adapter handles.
    const onlyText = parts.length === 1 && parts[0].part?.case === "text" && !parts[0].cacheBreakpoint;
    out.push({ role, ...(onlyText ? { content: parts[0].part!.value as string } : { parts }), toolCalls, cacheBreakpoint: turnBreakpoint });
  }
  return out;
}

function toolResultContent(content: unknown, path: string): Pick<MessageInit, "content" | "parts"> {
  if (content === undefined || content === null) return { content: "" };
  if (typeof content === "string") return { content };
  if (!Array.isArray(content)) throw new InvalidCompatRequest("must be a string or an array of blocks", path);
  const parts = content.map((b, i) => {
    const block = asObject(b, `${path}[${i}]`);
    return block.type === "image" ? imagePart(block, `${path}[${i}]`) : textPart(block, `${path}[${i}]`);
  });
  if (parts.every((p) => p.part?.case === "text")) return { content: parts.map((p) => p.part!.value as string).join("") };
  return { parts };
}

export function wireTool(tool: Record<string, unknown>, path: string): MessageInitShape<typeof ToolSchema> {
  const name = str(tool, "name", `${path}.name`);
  if (!name) throw new InvalidCompatRequest("is required (server tools are not supported)", `${path}.name`);
  return {
    function: {
      name,
      description: str(tool, "description", `${path}.description`) ?? "",
      parameters: obj(tool, "input_schema", `${path}.input_schema`) as JsonObject | undefined,
    },
    cacheBreakpoint: cacheBreakpointOf(tool, path),
  };
}

function toolChoice(choice: Record<string, unknown> | undefined): { toolChoice?: MessageInitShape<typeof ToolChoiceSchema>; parallelToolCalls?: boolean } {
  if (!choice) return {};
  const parallelToolCalls = choice.disable_parallel_tool_use === true ? false : undefined;
  switch (choice.type) {
    case "auto":
      return { toolChoice: { choice: { case: "mode", value: ToolChoiceMode.AUTO } }, parallelToolCalls };
    case "any":
      return { toolChoice: { choice: { case: "mode", value: ToolChoiceMode.REQUIRED } }, parallelToolCalls };
    case "none":
      return { toolChoice: { choice: { case: "mode", value: ToolChoiceMode.NONE } } };
    case "tool": {
      const name = str(choice, "name", "tool_choice.name");
      if (!name) throw new InvalidCompatRequest("is required", "tool_choice.name");
      return { toolChoice: { choice: { case: "functionName", value: name } }, parallelToolCalls };
    }
    default:
      throw new InvalidCompatRequest(`type "${String(choice.type)}" is not supported`, "tool_choice.type");
  }
}

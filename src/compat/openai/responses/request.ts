import { create, type JsonObject, type MessageInitShape } from "@bufbuild/protobuf";
import {
  CompletionRequestSchema,
  ResponseFormatType,
  ToolChoiceMode,
  type CompletionRequest,
  type ContentPartSchema,
  type MessageSchema,
  type ResponseFormatSchema,
  type ToolCallSchema,
  type ToolChoiceSchema,
} from "../../../../gen/ts/switchyard/v1/inference_pb.js";
import { InvalidCompatRequest } from "../../http/error-status.js";
import { arr, asObject, bool, num, obj, str, stringMap, uint, unknownFields } from "../../http/fields.js";

type MessageInit = MessageInitShape<typeof MessageSchema>;
type PartInit = MessageInitShape<typeof ContentPartSchema>;

const KNOWN_FIELDS = new Set([
  "model", "input", "instructions", "tools", "tool_choice", "parallel_tool_calls", "max_output_tokens", "temperature", "top_p",
  "user", "metadata", "text", "stream", "store", "previous_response_id",
]);

export interface ResponsesCall {
  request: CompletionRequest;
  stream: boolean;
  /** Echoed on the response object, as OpenAI does. */
  echo: { instructions: string | null; metadata: Record<string, string>; tools: unknown[]; temperature: number | null; top_p: number | null; parallel_tool_calls: boolean; tool_choice: unknown };
}

/** POST /v1/responses body → CompletionRequest. Stateless: nothing is stored, so nothing can be continued. */
export function responsesRequestFromWire(body: Record<string, unknown>): ResponsesCall {
  if (body.previous_response_id !== undefined && body.previous_response_id !== null) {
    throw new InvalidCompatRequest("is not supported: this gateway is stateless; send the whole conversation in `input`", "previous_response_id");
  }
  const model = str(body, "model");
  if (!model) throw new InvalidCompatRequest("is required", "model");
  const messages: MessageInit[] = [];
  const instructions = str(body, "instructions");
  if (instructions) messages.push({ role: "system", content: instructions });
  const input = body.input;
  if (typeof input === "string") messages.push({ role: "user", content: input });
  else if (Array.isArray(input) && input.length > 0) input.forEach((item, i) => addItem(messages, asObject(item, `input[${i}]`), `input[${i}]`));
  else throw new InvalidCompatRequest("must be a string or a non-empty array of items", "input");
  const wireTools = arr(body, "tools") ?? [];
  const metadata = stringMap(body, "metadata");
  const providerOptions = unknownFields(body, KNOWN_FIELDS);
  const request = create(CompletionRequestSchema, {
    model,
    messages,
    tools: wireTools.map((t, i) => {
      const tool = asObject(t, `tools[${i}]`);
      if (tool.type !== "function") throw new InvalidCompatRequest(`tool type "${String(tool.type)}" is not supported`, `tools[${i}].type`);
      const name = str(tool, "name", `tools[${i}].name`);
      if (!name) throw new InvalidCompatRequest("is required", `tools[${i}].name`);
      return { function: { name, description: str(tool, "description") ?? "", parameters: obj(tool, "parameters") as JsonObject | undefined, strict: bool(tool, "strict") } };
    }),
    toolChoice: toolChoice(body.tool_choice),
    parallelToolCalls: bool(body, "parallel_tool_calls"),
    responseFormat: responseFormat(obj(obj(body, "text") ?? {}, "format", "text.format")),
    temperature: num(body, "temperature"),
    topP: num(body, "top_p"),
    maxTokens: uint(body, "max_output_tokens"),
    user: str(body, "user") ?? "",
    metadata,
    options: providerOptions ? { providerOptions } : undefined,
  });
  return {
    request,
    stream: body.stream === true,
    echo: {
      instructions: instructions ?? null,
      metadata,
      tools: wireTools,
      temperature: num(body, "temperature") ?? null,
      top_p: num(body, "top_p") ?? null,
      parallel_tool_calls: bool(body, "parallel_tool_calls") ?? true,
      tool_choice: body.tool_choice ?? "auto",
    },
  };
}

function addItem(messages: MessageInit[], item: Record<string, unknown>, path: string): void {
  switch (item.type) {
    case "function_call": {
      const call = { id: str(item, "call_id", `${path}.call_id`) ?? "", function: { name: str(item, "name") ?? "", arguments: str(item, "arguments") ?? "" } };
      const last = messages[messages.length - 1];
      // Consecutive calls are one assistant turn with parallel tool calls.
      if (last?.role === "assistant" && Array.isArray(last.toolCalls) && last.toolCalls.length > 0 && !last.content) {
        (last.toolCalls as Array<MessageInitShape<typeof ToolCallSchema>>).push(call);
      }
      else messages.push({ role: "assistant", toolCalls: [call] });
      return;
    }
    case "function_call_output": {
      const output = item.output;
      messages.push({ role: "tool", toolCallId: str(item, "call_id", `${path}.call_id`) ?? "", content: typeof output === "string" ? output : JSON.stringify(output ?? "") });
      return;
    }
    case undefined:
    case "message": {
      const role = str(item, "role", `${path}.role`);
      if (!role) throw new InvalidCompatRequest("is required", `${path}.role`);
      if (typeof item.content === "string") {
        messages.push({ role, content: item.content });
        return;
      }
      const parts = (arr(item, "content", `${path}.content`) ?? []).map((p, i) => part(asObject(p, `${path}.content[${i}]`), `${path}.content[${i}]`));
      const onlyText = parts.length === 1 && parts[0]!.part?.case === "text";
      messages.push(onlyText ? { role, content: parts[0]!.part!.value as string } : { role, parts });
      return;
    }
    default:
      throw new InvalidCompatRequest(`item type "${String(item.type)}" is not supported`, `${path}.type`);
  }
}

function part(p: Record<string, unknown>, path: string): PartInit {
  switch (p.type) {
    case "input_text":
    case "output_text":
      return { part: { case: "text", value: str(p, "text", `${path}.text`) ?? "" } };
    case "input_image": {
      const url = str(p, "image_url", `${path}.image_url`);
      if (!url) throw new InvalidCompatRequest("is required (file_id is not supported)", `${path}.image_url`);
      return { part: { case: "image", value: { source: { case: "url", value: url }, detail: str(p, "detail") ?? "" } } };
    }
    default:
      throw new InvalidCompatRequest(`content type "${String(p.type)}" is not supported`, `${path}.type`);
  }
}

function toolChoice(v: unknown): MessageInitShape<typeof ToolChoiceSchema> | undefined {
  if (v === undefined || v === null) return undefined;
  const modes: Record<string, ToolChoiceMode> = { auto: ToolChoiceMode.AUTO, none: ToolChoiceMode.NONE, required: ToolChoiceMode.REQUIRED };
  if (typeof v === "string" && modes[v] !== undefined) return { choice: { case: "mode", value: modes[v] } };
  const choice = asObject(v, "tool_choice");
  const name = choice.type === "function" ? str(choice, "name", "tool_choice.name") : undefined;
  if (!name) throw new InvalidCompatRequest("must be auto, none, required or a function", "tool_choice");
  return { choice: { case: "functionName", value: name } };
}

function responseFormat(f: Record<string, unknown> | undefined): MessageInitShape<typeof ResponseFormatSchema> | undefined {
  if (!f) return undefined;
  if (f.type === "text") return { type: ResponseFormatType.TEXT };
  if (f.type === "json_object") return { type: ResponseFormatType.JSON_OBJECT };
  if (f.type === "json_schema") {
    return {
      type: ResponseFormatType.JSON_SCHEMA,
      jsonSchema: { name: str(f, "name") ?? "", description: str(f, "description") ?? "", schema: obj(f, "schema") as JsonObject | undefined, strict: bool(f, "strict") },
    };
  }
  throw new InvalidCompatRequest(`type "${String(f.type)}" is not supported`, "text.format.type");
}

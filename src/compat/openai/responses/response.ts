import { FinishReason, type ModelResponse, type ModelResponseChunk, type Usage } from "../../../../gen/ts/switchyard/v1/inference_pb.js";
import type { ResponsesCall } from "./request.js";

export function responsesUsage(usage: Usage | undefined) {
  return {
    input_tokens: usage?.promptTokens ?? 0,
    input_tokens_details: { cached_tokens: usage?.cachedPromptTokens ?? 0 },
    output_tokens: usage?.completionTokens ?? 0,
    output_tokens_details: { reasoning_tokens: usage?.reasoningTokens ?? 0 },
    total_tokens: usage?.totalTokens ?? 0,
  };
}

/** The `response` object around an output list: status, echo of the request, usage. */
export function responseObject(
  fields: { id: string; createdAt: number; model: string; status: "in_progress" | "completed" | "incomplete"; output: unknown[]; usage: Usage | undefined | null },
  echo: ResponsesCall["echo"],
) {
  return {
    id: fields.id,
    object: "response",
    created_at: fields.createdAt,
    status: fields.status,
    error: null,
    incomplete_details: fields.status === "incomplete" ? { reason: "max_output_tokens" } : null,
    instructions: echo.instructions,
    metadata: echo.metadata,
    model: fields.model,
    output: fields.output,
    parallel_tool_calls: echo.parallel_tool_calls,
    store: false,
    temperature: echo.temperature,
    text: { format: { type: "text" } },
    tool_choice: echo.tool_choice,
    tools: echo.tools,
    top_p: echo.top_p,
    usage: fields.usage === null ? null : responsesUsage(fields.usage),
  };
}

function responseId(id: string): string {
  return id.startsWith("resp_") ? id : `resp_${id}`;
}

/** ModelResponse → a completed `response` (first choice; the Responses API has no `n`). */
export function responseToWire(r: ModelResponse, echo: ResponsesCall["echo"]) {
  const choice = r.choices[0];
  const output: unknown[] = [];
  if (choice?.message?.content) {
    output.push({
      type: "message", id: `msg_${r.id}`, status: "completed", role: "assistant",
      content: [{ type: "output_text", text: choice.message.content, annotations: [] }],
    });
  }
  for (const call of choice?.message?.toolCalls ?? []) {
    output.push({ type: "function_call", id: `fc_${call.id}`, call_id: call.id, name: call.function?.name ?? "", arguments: call.function?.arguments ?? "", status: "completed" });
  }
  const status = choice?.finishReason === FinishReason.LENGTH ? "incomplete" : "completed";
  return responseObject({ id: responseId(r.id), createdAt: Number(r.created), model: r.model || r.modelGroup, status, output, usage: r.usage }, echo);
}

export interface ResponsesEvent {
  type: string;
  [field: string]: unknown;
}

type OpenItem =
  | { kind: "message"; outputIndex: number; item: { id: string; text: string } }
  | { kind: "function"; outputIndex: number; toolIndex: number; item: { id: string; call_id: string; name: string; arguments: string } };

/**
 * Unified chunks → the Responses streaming events: response.created and
 * .in_progress, per output item .output_item.added, its content
 * (.content_part.added / .output_text.delta / .output_text.done /
 * .content_part.done, or .function_call_arguments.delta / .done),
 * .output_item.done, and finally response.completed with usage. Every
 * event carries a sequence_number.
 */
export class ResponsesStreamTranslator {
  private sequence = 0;
  private id = "";
  private createdAt = 0;
  private model = "";
  private open: OpenItem | undefined;
  private readonly output: unknown[] = [];
  private finish = FinishReason.UNSPECIFIED;
  private done = false;

  constructor(private readonly echo: ResponsesCall["echo"]) {}

  push(chunk: ModelResponseChunk): ResponsesEvent[] {
    const events: ResponsesEvent[] = [];
    if (!this.id) {
      this.id = responseId(chunk.id);
      this.createdAt = Number(chunk.created);
      this.model = chunk.model || chunk.modelGroup;
      const response = this.snapshot("in_progress", null);
      events.push(this.event("response.created", { response }), this.event("response.in_progress", { response }));
    }
    const choice = chunk.choices.find((c) => c.index === 0);
    if (choice?.delta?.content) {
      if (this.open?.kind !== "message") {
        this.close(events);
        const item = { id: `msg_${chunk.id}_${this.output.length}`, text: "" };
        this.open = { kind: "message", outputIndex: this.output.length, item };
        this.output.push(undefined);
        events.push(this.event("response.output_item.added", { output_index: this.open.outputIndex, item: { type: "message", id: item.id, status: "in_progress", role: "assistant", content: [] } }));
        events.push(this.event("response.content_part.added", { item_id: item.id, output_index: this.open.outputIndex, content_index: 0, part: { type: "output_text", text: "", annotations: [] } }));
      }
      this.open.item.text += choice.delta.content;
      events.push(this.event("response.output_text.delta", { item_id: this.open.item.id, output_index: this.open.outputIndex, content_index: 0, delta: choice.delta.content, logprobs: [] }));
    }
    for (const call of choice?.delta?.toolCalls ?? []) {
      if (this.open?.kind !== "function" || this.open.toolIndex !== call.index) {
        this.close(events);
        const item = { id: `fc_${call.id}`, call_id: call.id, name: call.name, arguments: "" };
        this.open = { kind: "function", outputIndex: this.output.length, toolIndex: call.index, item };
        this.output.push(undefined);
        events.push(this.event("response.output_item.added", { output_index: this.open.outputIndex, item: { type: "function_call", ...item, status: "in_progress" } }));
      }
      if (call.arguments) {
        this.open.item.arguments += call.arguments;
        events.push(this.event("response.function_call_arguments.delta", { item_id: this.open.item.id, output_index: this.open.outputIndex, delta: call.arguments }));
      }
    }
    if (choice && choice.finishReason !== FinishReason.UNSPECIFIED) this.finish = choice.finishReason;
    if (chunk.usage) events.push(...this.complete(chunk.usage));
    return events;
  }

  end(): ResponsesEvent[] {
    return this.done ? [] : this.complete(undefined);
  }

  private complete(usage: Usage | undefined): ResponsesEvent[] {
    this.done = true;
    const events: ResponsesEvent[] = [];
    this.close(events);
    const status = this.finish === FinishReason.LENGTH ? "incomplete" : "completed";
    events.push(this.event(status === "completed" ? "response.completed" : "response.incomplete", { response: this.snapshot(status, usage) }));
    return events;
  }

  private close(events: ResponsesEvent[]): void {
    const open = this.open;
    if (!open) return;
    this.open = undefined;
    if (open.kind === "message") {
      const part = { type: "output_text", text: open.item.text, annotations: [] };
      const item = { type: "message", id: open.item.id, status: "completed", role: "assistant", content: [part] };
      events.push(this.event("response.output_text.done", { item_id: item.id, output_index: open.outputIndex, content_index: 0, text: open.item.text, logprobs: [] }));
      events.push(this.event("response.content_part.done", { item_id: item.id, output_index: open.outputIndex, content_index: 0, part }));
      events.push(this.event("response.output_item.done", { output_index: open.outputIndex, item }));
      this.output[open.outputIndex] = item;
    } else {
      const item = { type: "function_call", ...open.item, status: "completed" };
      events.push(this.event("response.function_call_arguments.done", { item_id: item.id, output_index: open.outputIndex, arguments: item.arguments }));
      events.push(this.event("response.output_item.done", { output_index: open.outputIndex, item }));
      this.output[open.outputIndex] = item;
    }
  }

  private snapshot(status: "in_progress" | "completed" | "incomplete", usage: Usage | undefined | null) {
    return responseObject({ id: this.id, createdAt: this.createdAt, model: this.model, status, output: this.output.filter(Boolean), usage }, this.echo);
  }

  private event(type: string, fields: Record<string, unknown>): ResponsesEvent {
    return { type, sequence_number: this.sequence++, ...fields };
  }
}

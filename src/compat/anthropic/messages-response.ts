import { FinishReason, type ModelResponse, type ModelResponseChunk, type Usage } from "../../../gen/ts/switchyard/v1/inference_pb.js";

const STOP_REASON: Record<FinishReason, string | null> = {
  [FinishReason.UNSPECIFIED]: null,
  [FinishReason.STOP]: "end_turn",
  [FinishReason.LENGTH]: "max_tokens",
  [FinishReason.TOOL_CALLS]: "tool_use",
  [FinishReason.CONTENT_FILTER]: "refusal",
};

/**
 * Unified usage → Anthropic's: there `input_tokens` excludes the cached
 * and cache-written parts, which are reported beside it.
 */
export function anthropicUsage(usage: Usage | undefined) {
  const cacheRead = usage?.cachedPromptTokens ?? 0;
  const cacheWrite = usage?.cacheCreationPromptTokens ?? 0;
  return {
    input_tokens: Math.max(0, (usage?.promptTokens ?? 0) - cacheRead - cacheWrite),
    output_tokens: usage?.completionTokens ?? 0,
    cache_creation_input_tokens: cacheWrite,
    cache_read_input_tokens: cacheRead,
  };
}

function parseArguments(text: string): unknown {
  try {
    return text ? JSON.parse(text) : {};
  } catch {
    // A model can emit broken JSON; Anthropic's `input` must be an object, so keep the text visible.
    return { _raw_arguments: text };
  }
}

/** ModelResponse → an Anthropic `message` (first choice only: the Messages API has no `n`). */
export function messageToWire(r: ModelResponse) {
  const choice = r.choices[0];
  const content: unknown[] = [];
  if (choice?.message?.content) content.push({ type: "text", text: choice.message.content });
  for (const call of choice?.message?.toolCalls ?? []) {
    content.push({ type: "tool_use", id: call.id, name: call.function?.name ?? "", input: parseArguments(call.function?.arguments ?? "") });
  }
  return {
    id: r.id,
    type: "message",
    role: "assistant",
    model: r.model || r.modelGroup,
    content,
    stop_reason: STOP_REASON[choice?.finishReason ?? FinishReason.UNSPECIFIED] ?? "end_turn",
    stop_sequence: null,
    usage: anthropicUsage(r.usage),
  };
}

export interface SseEvent {
  event: string;
  data: unknown;
}

/**
 * Unified chunks → the Messages API event sequence: message_start, then
 * per content block content_block_start / _delta / _stop (text_delta for
 * text, input_json_delta for tool arguments), then message_delta with the
 * stop reason and usage, and message_stop.
 */
export class MessageStreamTranslator {
  private started = false;
  private blockIndex = -1;
  /** What the open block holds: "text", a tool call's index, or nothing open. */
  private open: "text" | number | undefined;
  private stopReason: string | null = null;

  constructor(private readonly model: string) {}

  push(chunk: ModelResponseChunk): SseEvent[] {
    const events: SseEvent[] = [];
    if (!this.started) {
      this.started = true;
      events.push({
        event: "message_start",
        data: {
          type: "message_start",
          message: {
            id: chunk.id, type: "message", role: "assistant", model: chunk.model || this.model, content: [],
            stop_reason: null, stop_sequence: null, usage: { input_tokens: 0, output_tokens: 0 },
          },
        },
      });
    }
    const choice = chunk.choices.find((c) => c.index === 0);
    const delta = choice?.delta;
    if (delta?.content) {
      if (this.open !== "text") {
        this.closeBlock(events);
        this.openBlock(events, "text", { type: "text", text: "" });
      }
      events.push({ event: "content_block_delta", data: { type: "content_block_delta", index: this.blockIndex, delta: { type: "text_delta", text: delta.content } } });
    }
    for (const call of delta?.toolCalls ?? []) {
      if (this.open !== call.index) {
        this.closeBlock(events);
        this.openBlock(events, call.index, { type: "tool_use", id: call.id, name: call.name, input: {} });
      }
      if (call.arguments) {
        events.push({ event: "content_block_delta", data: { type: "content_block_delta", index: this.blockIndex, delta: { type: "input_json_delta", partial_json: call.arguments } } });
      }
    }
    if (choice && choice.finishReason !== FinishReason.UNSPECIFIED) this.stopReason = STOP_REASON[choice.finishReason];
    if (chunk.usage) events.push(...this.finish(chunk.usage));
    return events;
  }

  /** Closing events when the stream ended without a usage chunk. */
  end(): SseEvent[] {
    return this.finished ? [] : this.finish(undefined);
  }

  private finished = false;

  private finish(usage: Usage | undefined): SseEvent[] {
    this.finished = true;
    const events: SseEvent[] = [];
    this.closeBlock(events);
    events.push({
      event: "message_delta",
      data: { type: "message_delta", delta: { stop_reason: this.stopReason ?? "end_turn", stop_sequence: null }, usage: anthropicUsage(usage) },
    });
    events.push({ event: "message_stop", data: { type: "message_stop" } });
    return events;
  }

  private openBlock(events: SseEvent[], holds: "text" | number, block: unknown): void {
    this.blockIndex++;
    this.open = holds;
    events.push({ event: "content_block_start", data: { type: "content_block_start", index: this.blockIndex, content_block: block } });
  }

  private closeBlock(events: SseEvent[]): void {
    if (this.open === undefined) return;
    events.push({ event: "content_block_stop", data: { type: "content_block_stop", index: this.blockIndex } });
    this.open = undefined;
  }
}

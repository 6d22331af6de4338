import { create } from "@bufbuild/protobuf";
import {
  ChoiceSchema,
  FinishReason,
  ModelResponseChunkSchema,
  ModelResponseSchema,
  type Choice,
  type ModelResponse,
  type ModelResponseChunk,
  ToolCallSchema,
  type ToolCall,
} from "../../gen/ts/switchyard/v1/inference_pb.js";

/** Longest content piece of a replayed chunk, characters. Replays look like streams, not one blob. */
const REPLAY_PIECE_CHARS = 32;

/**
 * Folds a chunk stream into the ModelResponse it amounts to, so a completed
 * stream can be cached as one answer: deltas appended per choice, tool
 * call deltas joined per tool-call index, the final chunk's usage kept.
 */
export class StreamAssembler {
  private readonly choices = new Map<number, { choice: Choice; toolCalls: Map<number, ToolCall> }>();
  private first?: ModelResponseChunk;
  private last?: ModelResponseChunk;

  add(chunk: ModelResponseChunk): void {
    this.first ??= chunk;
    this.last = chunk;
    for (const delta of chunk.choices) {
      let slot = this.choices.get(delta.index);
      if (!slot) {
        slot = { choice: create(ChoiceSchema, { index: delta.index, message: { role: "assistant" } }), toolCalls: new Map() };
        this.choices.set(delta.index, slot);
      }
      const message = slot.choice.message!;
      if (delta.delta?.role) message.role = delta.delta.role;
      message.content += delta.delta?.content ?? "";
      for (const call of delta.delta?.toolCalls ?? []) {
        let toolCall = slot.toolCalls.get(call.index);
        if (!toolCall) {
          toolCall = create(ToolCallSchema, { function: {} });
          slot.toolCalls.set(call.index, toolCall);
        }
        if (call.id) toolCall.id = call.id;
        if (call.name) toolCall.function!.name = call.name;
        toolCall.function!.arguments += call.arguments;
      }
      if (delta.finishReason !== FinishReason.UNSPECIFIED) slot.choice.finishReason = delta.finishReason;
    }
  }

  /** The assembled answer; undefined when the stream never produced a choice. */
  response(): ModelResponse | undefined {
    if (!this.first || this.choices.size === 0) return undefined;
    const final = this.last!;
    const choices = [...this.choices.values()]
      .sort((a, b) => a.choice.index - b.choice.index)
      .map(({ choice, toolCalls }) => {
        choice.message!.toolCalls = [...toolCalls.entries()].sort(([a], [b]) => a - b).map(([, call]) => call);
        return choice;
      });
    return create(ModelResponseSchema, {
      id: this.first.id,
      created: this.first.created,
      model: this.first.model,
      modelGroup: final.modelGroup,
      provider: final.provider,
      deploymentId: final.deploymentId,
      choices,
      usage: final.usage,
    });
  }
}

/**
 * A cached answer as a chunk stream: per choice, the role and content in
 * pieces, the tool calls, then the finish reason; a closing chunk carries
 * usage and the fields the caller stamps (cache info, timings, cost).
 */
export function* replayAsChunks(response: ModelResponse, final: Pick<ModelResponseChunk, "costUsd" | "attempts" | "timings" | "cache">): Generator<ModelResponseChunk> {
  const base = {
    id: response.id,
    created: response.created,
    model: response.model,
    modelGroup: response.modelGroup,
    provider: response.provider,
    deploymentId: response.deploymentId,
  };
  for (const choice of response.choices) {
    const message = choice.message;
    const pieces = splitText(message?.content ?? "");
    for (const [i, content] of pieces.entries()) {
      yield create(ModelResponseChunkSchema, {
        ...base,
        choices: [{ index: choice.index, delta: { role: i === 0 ? message?.role || "assistant" : "", content } }],
      });
    }
    const toolCalls = message?.toolCalls ?? [];
    if (toolCalls.length > 0) {
      yield create(ModelResponseChunkSchema, {
        ...base,
        choices: [
          {
            index: choice.index,
            delta: {
              role: pieces.length === 0 ? message?.role || "assistant" : "",
              toolCalls: toolCalls.map((call, index) => ({
                index,
                id: call.id,
                name: call.function?.name ?? "",
                arguments: call.function?.arguments ?? "",
              })),
            },
          },
        ],
      });
    }
    yield create(ModelResponseChunkSchema, { ...base, choices: [{ index: choice.index, delta: {}, finishReason: choice.finishReason }] });
  }
  yield create(ModelResponseChunkSchema, { ...base, usage: response.usage, ...final });
}

/** Pieces of at most REPLAY_PIECE_CHARS, split after whitespace where possible. */
function splitText(text: string): string[] {
  const pieces: string[] = [];
  let rest = text;
  while (rest.length > REPLAY_PIECE_CHARS) {
    const window = rest.slice(0, REPLAY_PIECE_CHARS);
    const space = window.lastIndexOf(" ");
    const cut = space > 0 ? space + 1 : REPLAY_PIECE_CHARS;
    pieces.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  if (rest) pieces.push(rest);
  return pieces;
}

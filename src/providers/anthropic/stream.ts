import { create } from "@bufbuild/protobuf";
import type { MessageInitShape } from "@bufbuild/protobuf";
import {
  DeltaSchema,
  ModelResponseChunkSchema,
  type ModelResponseChunk,
} from "../../../gen/ts/switchyard/v1/inference_pb.js";
import { malformedEvent, parseEventJson, streamBroken } from "../http/body.js";
import type { SseEvent } from "../http/sse.js";
import { anthropicStreamError } from "./errors.js";
import { JSON_TOOL_NAME } from "./request.js";
import { finishReason, toUsage, type AnthropicUsage } from "./response.js";

/** Payloads of the streaming events (https://docs.anthropic.com/en/docs/build-with-claude/streaming). */
interface MessageStart {
  message: { id: string; model: string; usage?: AnthropicUsage };
}
interface ContentBlockStart {
  index: number;
  content_block: { type: string; text?: string; id?: string; name?: string };
}
interface ContentBlockDelta {
  index: number;
  delta: { type: string; text?: string; partial_json?: string };
}
interface MessageDelta {
  delta: { stop_reason?: string | null };
  usage?: AnthropicUsage;
}

const PROVIDER = "anthropic";

type DeltaInit = MessageInitShape<typeof DeltaSchema>;

/**
 * Turns Anthropic's SSE events into chunks as they arrive. Text and tool
 * input deltas pass straight through; the final chunk (finish reason and
 * usage) is emitted on message_stop. A stream that ends before
 * message_stop is broken, not finished.
 */
export async function* anthropicChunks(
  events: AsyncIterable<SseEvent>,
  options: { jsonTool: boolean; nowMs: number; secrets: readonly string[] },
): AsyncGenerator<ModelResponseChunk> {
  let id = "";
  let model = "";
  const created = BigInt(Math.floor(options.nowMs / 1000));
  let usage: AnthropicUsage = {};
  let stopReason: string | null | undefined;
  let roleSent = false;
  let started = false;
  // Content block index → tool call position; Anthropic numbers text and tool blocks together.
  const toolIndexByBlock = new Map<number, number>();
  const jsonBlocks = new Set<number>();
  const startedBlocks = new Set<number>();

  const chunk = (delta: DeltaInit) => {
    const role = roleSent ? "" : "assistant";
    roleSent = true;
    return create(ModelResponseChunkSchema, { id, created, model, choices: [{ index: 0, delta: { ...delta, role } }] });
  };

  for await (const event of events) {
    const type = event.event;
    if (type === "ping") continue;
    if (type === "error") throw anthropicStreamError(event.data, options.secrets);
    const data = parseEventJson(PROVIDER, event.data) as Record<string, unknown>;
    switch (type) {
      case "message_start": {
        const message = (data as unknown as MessageStart).message;
        if (!message) throw malformedEvent(PROVIDER, "message_start without message");
        id = message.id;
        model = message.model;
        usage = { ...message.usage };
        started = true;
        break;
      }
      case "content_block_start": {
        const { index, content_block: block } = data as unknown as ContentBlockStart;
        startedBlocks.add(index);
        if (block?.type === "tool_use") {
          if (options.jsonTool && block.name === JSON_TOOL_NAME) {
            jsonBlocks.add(index);
            break;
          }
          const position = toolIndexByBlock.size;
          toolIndexByBlock.set(index, position);
          yield chunk({ toolCalls: [{ index: position, id: block.id ?? "", name: block.name ?? "", arguments: "" }] });
        } else if (block?.type === "text" && block.text) {
          yield chunk({ content: block.text });
        }
        break;
      }
      case "content_block_delta": {
        const { index, delta } = data as unknown as ContentBlockDelta;
        if (delta?.type === "text_delta") {
          yield chunk({ content: delta.text ?? "" });
        } else if (delta?.type === "input_json_delta") {
          // The forced JSON tool's input is the answer's content; other tools' input is their arguments.
          if (jsonBlocks.has(index)) {
            yield chunk({ content: delta.partial_json ?? "" });
            break;
          }
          const position = toolIndexByBlock.get(index);
          if (position === undefined) {
            if (!startedBlocks.has(index)) throw malformedEvent(PROVIDER, `input_json_delta for block ${index}, which never started`);
            break; // input of a server tool (e.g. server_tool_use for web search): not a call the caller makes
          }
          if (delta.partial_json) yield chunk({ toolCalls: [{ index: position, arguments: delta.partial_json }] });
        }
        // thinking_delta, signature_delta and citations_delta are not part of the answer text.
        break;
      }
      case "message_delta": {
        const { delta, usage: more } = data as unknown as MessageDelta;
        if (delta?.stop_reason !== undefined) stopReason = delta.stop_reason;
        // message_delta usage is cumulative and may restate the input counts.
        usage = { ...usage, ...definedOnly(more ?? {}) };
        break;
      }
      case "message_stop": {
        if (!started) throw malformedEvent(PROVIDER, "message_stop before message_start");
        yield create(ModelResponseChunkSchema, {
          id,
          created,
          model,
          choices: [{ index: 0, delta: {}, finishReason: finishReason(stopReason, options.jsonTool) }],
          usage: toUsage(usage),
        });
        return;
      }
      default:
        // content_block_stop needs no action; unknown event types are ignored as Anthropic's versioning policy asks.
        break;
    }
  }
  throw streamBroken(PROVIDER, started ? "ended before message_stop" : "ended before message_start");
}

function definedOnly(usage: AnthropicUsage): AnthropicUsage {
  return Object.fromEntries(Object.entries(usage).filter(([, v]) => v !== undefined && v !== null));
}


import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { EventStreamCodec, getChunkedStream, type Message as EventMessage } from "@smithy/core/event-streams";
import { fromUtf8, toUtf8 } from "@smithy/core/serde";
import { DeltaSchema, ModelResponseChunkSchema, type ModelResponseChunk } from "../../../gen/ts/switchyard/v1/inference_pb.js";
import { estimateTokens } from "../../util/tokens.js";
import { malformedEvent, parseEventJson, streamBroken } from "../http/body.js";
import { bedrockStreamError } from "./errors.js";
import { JSON_TOOL_NAME } from "./request.js";
import { finishReason, toUsage, type ConverseUsage } from "./response.js";

const PROVIDER = "bedrock";
type DeltaInit = MessageInitShape<typeof DeltaSchema>;

/** One decoded event-stream message: its headers as strings and its JSON payload text. */
export interface StreamEvent {
  messageType: string;
  eventType: string;
  exceptionType: string;
  payload: string;
}

/**
 * Frames the application/vnd.amazon.eventstream body into messages as
 * bytes arrive (a frame may span reads) and checks each frame's CRCs,
 * with the AWS SDK's own framing and codec.
 */
export async function* decodeEventStream(body: AsyncIterable<Uint8Array>): AsyncGenerator<StreamEvent> {
  const codec = new EventStreamCodec(toUtf8, fromUtf8);
  const frames = getChunkedStream(body)[Symbol.asyncIterator]();
  while (true) {
    let next: IteratorResult<Uint8Array>;
    try {
      next = await frames.next();
    } catch (err) {
      if (err instanceof Error && /Truncated event message/.test(err.message)) throw streamBroken(PROVIDER, "connection closed mid-frame");
      throw err;
    }
    if (next.done) return;
    let message: EventMessage;
    try {
      message = codec.decode(next.value);
    } catch (err) {
      throw malformedEvent(PROVIDER, (err as Error).message, err);
    }
    const header = (name: string) => {
      const value = message.headers[name]?.value;
      return typeof value === "string" ? value : "";
    };
    yield {
      messageType: header(":message-type"),
      eventType: header(":event-type"),
      exceptionType: header(":exception-type") || header(":error-code"),
      payload: toUtf8(message.body) || header(":error-message"),
    };
  }
}

/**
 * ConverseStream events → chunks: messageStart, contentBlockStart (tool
 * use), contentBlockDelta (text, toolUse input fragments, reasoning),
 * contentBlockStop, messageStop (stop reason), metadata (usage). The final
 * chunk goes out once both messageStop and metadata have arrived; a stream
 * that ends before messageStop is broken.
 */
export async function* converseChunks(
  events: AsyncIterable<StreamEvent>,
  options: { id: string; model: string; nowMs: number; jsonTool: boolean; secrets: readonly string[]; estimatedPromptTokens: number },
): AsyncGenerator<ModelResponseChunk> {
  const { id, model } = options;
  const created = BigInt(Math.floor(options.nowMs / 1000));
  let roleSent = false;
  let stopReason: string | undefined;
  let usage: ConverseUsage | undefined;
  const toolIndexByBlock = new Map<number, number>();
  const jsonBlocks = new Set<number>();

  let completionText = "";

  const chunk = (delta: DeltaInit) => {
    completionText += (delta.content ?? "") + (delta.toolCalls ?? []).map((t) => t.arguments ?? "").join("");
    const role = roleSent ? "" : "assistant";
    roleSent = true;
    return create(ModelResponseChunkSchema, { id, created, model, choices: [{ index: 0, delta: { ...delta, role } }] });
  };
  const final = () =>
    create(ModelResponseChunkSchema, {
      id,
      created,
      model,
      choices: [{ index: 0, delta: {}, finishReason: finishReason(stopReason, options.jsonTool) }],
      usage: usage
        ? toUsage(usage)
        : { promptTokens: options.estimatedPromptTokens, completionTokens: estimateTokens(completionText), totalTokens: options.estimatedPromptTokens + estimateTokens(completionText) },
    });

  for await (const event of events) {
    if (event.messageType === "exception" || event.messageType === "error") {
      throw bedrockStreamError(event.exceptionType, event.payload, options.secrets);
    }
    const data = parseEventJson(PROVIDER, event.payload) as Record<string, any>;
    switch (event.eventType) {
      case "contentBlockStart": {
        const toolUse = data.start?.toolUse as { toolUseId: string; name: string } | undefined;
        if (!toolUse) break;
        const block = Number(data.contentBlockIndex);
        if (options.jsonTool && toolUse.name === JSON_TOOL_NAME) {
          jsonBlocks.add(block);
          break;
        }
        const position = toolIndexByBlock.size;
        toolIndexByBlock.set(block, position);
        yield chunk({ toolCalls: [{ index: position, id: toolUse.toolUseId, name: toolUse.name, arguments: "" }] });
        break;
      }
      case "contentBlockDelta": {
        const delta = data.delta ?? {};
        const block = Number(data.contentBlockIndex);
        if (typeof delta.text === "string") {
          yield chunk({ content: delta.text });
        } else if (delta.toolUse) {
          const input = String(delta.toolUse.input ?? "");
          if (jsonBlocks.has(block)) {
            yield chunk({ content: input });
            break;
          }
          const position = toolIndexByBlock.get(block);
          if (position === undefined) throw malformedEvent(PROVIDER, `toolUse delta for unknown content block ${block}`);
          if (input) yield chunk({ toolCalls: [{ index: position, arguments: input }] });
        }
        // reasoningContent deltas are hidden reasoning, not answer text.
        break;
      }
      case "messageStop":
        stopReason = data.stopReason;
        break;
      case "metadata":
        usage = data.usage;
        if (stopReason !== undefined) {
          yield final();
          return;
        }
        break;
      default:
        // messageStart and contentBlockStop carry nothing the chunks need.
        break;
    }
  }
  if (stopReason === undefined) throw streamBroken(PROVIDER, "ended before messageStop");
  // messageStop but no metadata event: usage is counted locally (estimated) so it is never missing.
  yield final();
}

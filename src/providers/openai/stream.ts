import { create } from "@bufbuild/protobuf";
import {
  FinishReason,
  ModelResponseChunkSchema,
  type CompletionRequest,
  type ModelResponseChunk,
  type Usage,
} from "../../../gen/ts/switchyard/v1/inference_pb.js";
import { malformedEvent, parseEventJson, streamBroken } from "../http/body.js";
import type { SseEvent } from "../http/sse.js";
import { streamErrorFromEvent } from "./errors.js";
import { estimatedUsage } from "../../util/tokens.js";
import { finishReason, usageFromWire, type AnswerContext } from "./response.js";
import type { WireChatChunk, WireErrorBody } from "./wire.js";

/**
 * Turns an OpenAI chat-completions SSE stream into unified chunks as the
 * events arrive. OpenAI sends the finish_reason chunk, then (with
 * stream_options.include_usage) a chunk with empty choices and the usage,
 * then `data: [DONE]`; the gateway's contract is that the *last* chunk
 * carries both, so the finish chunk alone is held back until usage (or
 * [DONE]) arrives. Everything else passes straight through.
 *
 * A stream that ends without [DONE] or carries an error object is an
 * error, never a truncated success.
 */
export async function* chatChunks(
  events: AsyncIterable<SseEvent>,
  request: CompletionRequest,
  ctx: AnswerContext,
  secrets: readonly string[],
): AsyncGenerator<ModelResponseChunk> {
  let held: ModelResponseChunk | undefined;
  let usage: Usage | undefined;
  let done = false;
  let generated = "";
  const last = { id: "", created: BigInt(ctx.nowSeconds), model: ctx.model };

  for await (const event of events) {
    if (event.data === "[DONE]") {
      done = true;
      break;
    }
    const parsed = parseEventJson(ctx.provider, event.data);
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw malformedEvent(ctx.provider, event.data.slice(0, 120));
    const payload = parsed as WireChatChunk & WireErrorBody;
    if (event.event === "error" || payload.error !== undefined) throw streamErrorFromEvent(ctx.provider, payload, secrets);
    // Azure's leading prompt_filter_results chunk has an empty id and created 0: keep the real ones.
    if (payload.id) last.id = payload.id;
    if (payload.created) last.created = BigInt(payload.created);
    if (payload.model) last.model = payload.model;
    if (payload.usage) usage = usageFromWire(payload.usage);
    // Usage-only chunks and Azure's prompt_filter_results chunk have no choices to pass on.
    if (!payload.choices || payload.choices.length === 0) continue;

    const chunk = create(ModelResponseChunkSchema, {
      ...last,
      choices: payload.choices.map((choice, i) => {
        const delta = choice.delta ?? {};
        const content = delta.content ?? delta.refusal ?? "";
        generated += content;
        return {
          index: choice.index ?? i,
          delta: {
            role: delta.role ?? "",
            content,
            toolCalls: (delta.tool_calls ?? []).map((call, j) => {
              generated += call.function?.arguments ?? "";
              return { index: call.index ?? j, id: call.id ?? "", name: call.function?.name ?? "", arguments: call.function?.arguments ?? "" };
            }),
          },
          finishReason: finishReason(choice.finish_reason),
        };
      }),
    });
    if (held) yield held;
    held = undefined;
    if (chunk.choices.some((c) => c.finishReason !== FinishReason.UNSPECIFIED)) held = chunk;
    else yield chunk;
  }
  if (!done) throw streamBroken(ctx.provider, "the stream ended before data: [DONE]");

  const final = held ?? create(ModelResponseChunkSchema, { ...last });
  final.usage = usage ?? estimatedUsage(request, generated);
  yield final;
}

import { create } from "@bufbuild/protobuf";
import { ModelResponseChunkSchema, type ModelResponseChunk } from "../../../gen/ts/switchyard/v1/inference_pb.js";
import { estimateTokens } from "../../util/tokens.js";
import { parseEventJson, streamBroken } from "../http/body.js";
import type { SseEvent } from "../http/sse.js";
import { geminiStreamError } from "./errors.js";
import { finishReason, promptBlocked, toolCallId, toUsage, type GeminiResponse, type GeminiUsage } from "./response.js";

interface CandidateState {
  roleSent: boolean;
  toolCalls: number;
  finishReason?: string;
}

/**
 * streamGenerateContent?alt=sse sends one GenerateContentResponse per
 * event and no terminal event: the stream is complete when every
 * candidate has reported a finishReason and the connection closes. Deltas
 * pass through as they arrive; the final chunk carries finish reasons and
 * the last (cumulative) usageMetadata.
 */
export async function* geminiChunks(
  events: AsyncIterable<SseEvent>,
  options: { model: string; fallbackId: string; nowMs: number; secrets: readonly string[]; estimatedPromptTokens: number },
): AsyncGenerator<ModelResponseChunk> {
  let id = options.fallbackId;
  let model = options.model;
  const created = BigInt(Math.floor(options.nowMs / 1000));
  let usage: GeminiUsage | undefined;
  const candidates = new Map<number, CandidateState>();
  let completionText = "";

  for await (const event of events) {
    const answer = parseEventJson("gemini", event.data) as GeminiResponse & { error?: unknown };
    if (answer.error) throw geminiStreamError(answer.error, options.secrets);
    const blocked = promptBlocked(answer);
    if (blocked) throw blocked;
    if (answer.responseId) id = answer.responseId;
    if (answer.modelVersion) model = answer.modelVersion;
    if (answer.usageMetadata) usage = answer.usageMetadata;
    for (const [i, candidate] of (answer.candidates ?? []).entries()) {
      const index = candidate.index ?? i;
      const state = candidates.get(index) ?? { roleSent: false, toolCalls: 0 };
      candidates.set(index, state);
      if (candidate.finishReason) state.finishReason = candidate.finishReason;
      let content = "";
      const toolCalls: Array<{ index: number; id: string; name: string; arguments: string }> = [];
      for (const part of candidate.content?.parts ?? []) {
        if (part.thought) continue;
        if (part.text !== undefined) content += part.text;
        if (part.functionCall) {
          // Gemini sends each function call whole, never in fragments.
          const position = state.toolCalls++;
          toolCalls.push({
            index: position,
            id: toolCallId(part.functionCall, position),
            name: part.functionCall.name,
            arguments: JSON.stringify(part.functionCall.args ?? {}),
          });
        }
      }
      if (content === "" && toolCalls.length === 0) continue;
      completionText += content + toolCalls.map((t) => t.arguments).join("");
      const role = state.roleSent ? "" : "assistant";
      state.roleSent = true;
      yield create(ModelResponseChunkSchema, { id, created, model, choices: [{ index, delta: { role, content, toolCalls } }] });
    }
  }

  const states = [...candidates.entries()];
  if (states.length === 0 || states.some(([, s]) => s.finishReason === undefined)) {
    throw streamBroken("gemini", "ended before every candidate reported a finishReason");
  }
  yield create(ModelResponseChunkSchema, {
    id,
    created,
    model,
    choices: states.map(([index, s]) => ({ index, delta: {}, finishReason: finishReason(s.finishReason, s.toolCalls > 0) })),
    // A stream without usageMetadata still reports usage: counted locally (an estimate).
    usage: toUsage(usage ?? { promptTokenCount: options.estimatedPromptTokens, candidatesTokenCount: estimateTokens(completionText) }),
  });
}

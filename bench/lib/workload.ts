/**
 * The one workload every system gets: the same chat request, answered by
 * the same mock upstream with the same latency and chunk cadence.
 */
import { create, toBinary } from "@bufbuild/protobuf";
import { CompletionRequestSchema } from "../../gen/ts/switchyard/v1/inference_pb.js";

export const UPSTREAM = {
  /** Delay before a unary answer or the first streamed event, ms. */
  latencyMs: 10,
  /** Delay between streamed event groups, ms. */
  chunkDelayMs: 5,
  chunkCount: 8,
  text: "The quick brown fox jumps over the lazy dog, then naps in the warm afternoon sun.",
} as const;

/** The provider model name every system asks the upstream for. */
export const UPSTREAM_MODEL = "gpt-4o-mini";
/** The model group name configured in every gateway. */
export const GROUP = "bench";
export const PROMPT = "Say something short about foxes.";
export const MAX_TOKENS = 64;

/** The OpenAI-format request, as sent to the upstream directly and to the OpenAI-compatible peers. */
export function openAiBody(model: string, stream: boolean): string {
  return JSON.stringify({
    model,
    messages: [{ role: "user", content: PROMPT }],
    max_tokens: MAX_TOKENS,
    ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
  });
}

function switchyardRequest() {
  return create(CompletionRequestSchema, { model: GROUP, messages: [{ role: "user", content: PROMPT }], maxTokens: MAX_TOKENS });
}

/** Connect/JSON body (proto3 JSON names). */
export function switchyardJsonBody(): string {
  return JSON.stringify({ model: GROUP, messages: [{ role: "user", content: PROMPT }], maxTokens: MAX_TOKENS });
}

/** gRPC body: the binary CompletionRequest (the load tool adds the envelope). */
export function switchyardBinaryBody(): Uint8Array {
  return toBinary(CompletionRequestSchema, switchyardRequest());
}

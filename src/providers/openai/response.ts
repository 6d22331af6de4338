import { create } from "@bufbuild/protobuf";
import {
  EmbeddingResponseSchema,
  FinishReason,
  ImageGenerationResponseSchema,
  ModelResponseSchema,
  ModerationResponseSchema,
  UsageSchema,
  type CompletionRequest,
  type EmbeddingRequest,
  type EmbeddingResponse,
  type ImageGenerationResponse,
  type ModelResponse,
  type ModerationResponse,
  type Usage,
} from "../../../gen/ts/switchyard/v1/inference_pb.js";
import { ErrorKind, GatewayError } from "../../errors/gateway-error.js";
import { estimatedUsage, estimatePromptTokens, estimateTokens } from "../../util/tokens.js";
import type {
  WireChatCompletion,
  WireEmbeddingResponse,
  WireImageResponse,
  WireModerationResponse,
  WireUsage,
} from "./wire.js";

/** Facts the translation needs that the wire answer may omit. */
export interface AnswerContext {
  provider: string;
  /** The configured model, used when the answer names none. */
  model: string;
  /** Unix seconds, used when the answer carries no `created`. */
  nowSeconds: number;
}

const FINISH_REASONS: Record<string, FinishReason> = {
  stop: FinishReason.STOP,
  length: FinishReason.LENGTH,
  tool_calls: FinishReason.TOOL_CALLS,
  function_call: FinishReason.TOOL_CALLS, // the deprecated functions API
  content_filter: FinishReason.CONTENT_FILTER,
  eos: FinishReason.STOP, // older vLLM / TGI servers
};

export function finishReason(wire: string | null | undefined): FinishReason {
  return wire ? (FINISH_REASONS[wire] ?? FinishReason.UNSPECIFIED) : FinishReason.UNSPECIFIED;
}

export function usageFromWire(usage: WireUsage): Usage {
  const prompt = usage.prompt_tokens ?? 0;
  const completion = usage.completion_tokens ?? 0;
  return create(UsageSchema, {
    promptTokens: prompt,
    completionTokens: completion,
    totalTokens: usage.total_tokens ?? prompt + completion,
    cachedPromptTokens: usage.prompt_tokens_details?.cached_tokens ?? 0,
    reasoningTokens: usage.completion_tokens_details?.reasoning_tokens ?? 0,
  });
}

export function modelResponse(json: unknown, request: CompletionRequest, ctx: AnswerContext): ModelResponse {
  const wire = expectShape<WireChatCompletion>(json, "choices", ctx.provider, "chat completion");
  const choices = wire.choices.map((choice, i) => {
    const message = choice.message ?? {};
    // A refusal arrives instead of content; keep it visible as the answer text.
    const content = message.content ?? message.refusal ?? "";
    return {
      index: choice.index ?? i,
      message: {
        role: "assistant",
        content,
        toolCalls: (message.tool_calls ?? []).map((call) => ({
          id: call.id,
          function: { name: call.function?.name ?? "", arguments: call.function?.arguments ?? "" },
        })),
      },
      finishReason: finishReason(choice.finish_reason),
    };
  });
  const generated = choices.map((c) => c.message.content + c.message.toolCalls.map((t) => t.function.arguments).join("")).join("");
  return create(ModelResponseSchema, {
    id: wire.id ?? "",
    created: BigInt(wire.created ?? ctx.nowSeconds),
    model: wire.model || ctx.model,
    systemFingerprint: wire.system_fingerprint ?? "",
    choices,
    usage: wire.usage ? usageFromWire(wire.usage) : estimatedUsage(request, generated),
  });
}

export function embeddingResponse(json: unknown, request: EmbeddingRequest, ctx: AnswerContext): EmbeddingResponse {
  const wire = expectShape<WireEmbeddingResponse>(json, "data", ctx.provider, "embedding answer");
  const data = wire.data
    .map((item, i) => ({ index: item.index ?? i, vector: item.embedding }))
    .sort((a, b) => a.index - b.index);
  const promptTokens = wire.usage?.prompt_tokens ?? request.input.reduce((sum, text) => sum + estimateTokens(text), 0);
  return create(EmbeddingResponseSchema, {
    model: wire.model || ctx.model,
    data,
    usage: { promptTokens, totalTokens: wire.usage?.total_tokens ?? promptTokens },
  });
}

export function imageResponse(json: unknown, ctx: AnswerContext): ImageGenerationResponse {
  const wire = expectShape<WireImageResponse>(json, "data", ctx.provider, "image answer");
  const mimeType = `image/${wire.output_format ?? "png"}`;
  const usage = wire.usage;
  return create(ImageGenerationResponseSchema, {
    created: BigInt(wire.created ?? ctx.nowSeconds),
    model: ctx.model,
    images: wire.data.map((image) => ({
      image: image.b64_json !== undefined ? { case: "data" as const, value: Buffer.from(image.b64_json, "base64") } : { case: "url" as const, value: image.url ?? "" },
      mimeType: image.b64_json !== undefined ? mimeType : "",
      revisedPrompt: image.revised_prompt ?? "",
    })),
    // gpt-image-1 bills by tokens and reports them; DALL-E models report none.
    usage: usage
      ? { promptTokens: usage.input_tokens ?? 0, completionTokens: usage.output_tokens ?? 0, totalTokens: usage.total_tokens ?? 0 }
      : undefined,
  });
}

export function moderationResponse(json: unknown, ctx: AnswerContext): ModerationResponse {
  const wire = expectShape<WireModerationResponse>(json, "results", ctx.provider, "moderation answer");
  return create(ModerationResponseSchema, {
    id: wire.id ?? "",
    model: wire.model || ctx.model,
    results: wire.results.map((result) => ({
      flagged: result.flagged ?? false,
      categories: withoutNulls(result.categories),
      categoryScores: withoutNulls(result.category_scores),
    })),
  });
}

function withoutNulls<T>(record: Record<string, T | null> | undefined): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [key, value] of Object.entries(record ?? {})) if (value !== null) out[key] = value;
  return out;
}

/** The one runtime check at the boundary: the list the answer is about must be there. */
function expectShape<T>(json: unknown, listField: string, provider: string, what: string): T {
  if (json === null || typeof json !== "object" || !Array.isArray((json as Record<string, unknown>)[listField])) {
    throw new GatewayError(ErrorKind.BAD_RESPONSE, `${provider}: ${what} has no "${listField}" list`, { provider });
  }
  return json as T;
}

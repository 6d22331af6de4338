import { create } from "@bufbuild/protobuf";
import {
  EmbeddingRequestSchema,
  ImageGenerationRequestSchema,
  ModerationRequestSchema,
  type EmbeddingRequest,
  type EmbeddingResponse,
  type ImageGenerationRequest,
  type ImageGenerationResponse,
  type ListModelsResponse,
  type ModerationRequest,
  type ModerationResponse,
} from "../../../gen/ts/switchyard/v1/inference_pb.js";
import { InvalidCompatRequest } from "../http/error-status.js";
import { str, stringMap, uint } from "../http/fields.js";

function requireModel(body: Record<string, unknown>): string {
  const model = str(body, "model");
  if (!model) throw new InvalidCompatRequest("is required", "model");
  return model;
}

/** `input` as texts: a string or an array of strings (token-id arrays have no unified equivalent). */
function textInputs(body: Record<string, unknown>): string[] {
  const input = body.input;
  if (typeof input === "string") return [input];
  if (Array.isArray(input) && input.length > 0 && input.every((x) => typeof x === "string")) return input as string[];
  throw new InvalidCompatRequest("must be a string or a non-empty array of strings", "input");
}

export function embeddingRequestFromWire(body: Record<string, unknown>): { request: EmbeddingRequest; base64: boolean } {
  const format = str(body, "encoding_format") ?? "float";
  if (format !== "float" && format !== "base64") throw new InvalidCompatRequest('must be "float" or "base64"', "encoding_format");
  const request = create(EmbeddingRequestSchema, {
    model: requireModel(body),
    input: textInputs(body),
    dimensions: uint(body, "dimensions"),
    user: str(body, "user") ?? "",
    metadata: stringMap(body, "metadata"),
  });
  // The OpenAI Node SDK asks for base64 by default and decodes it itself.
  return { request, base64: format === "base64" };
}

export function embeddingsToWire(r: EmbeddingResponse, base64: boolean) {
  return {
    object: "list",
    data: r.data.map((e) => ({
      object: "embedding",
      index: e.index,
      embedding: base64 ? Buffer.from(new Float32Array(e.vector).buffer).toString("base64") : e.vector,
    })),
    model: r.model || r.modelGroup,
    usage: { prompt_tokens: r.usage?.promptTokens ?? 0, total_tokens: r.usage?.totalTokens ?? 0 },
  };
}

export function imageRequestFromWire(body: Record<string, unknown>): ImageGenerationRequest {
  const prompt = str(body, "prompt");
  if (!prompt) throw new InvalidCompatRequest("is required", "prompt");
  return create(ImageGenerationRequestSchema, {
    model: requireModel(body),
    prompt,
    n: uint(body, "n"),
    size: str(body, "size") ?? "",
    quality: str(body, "quality") ?? "",
    style: str(body, "style") ?? "",
    user: str(body, "user") ?? "",
    metadata: stringMap(body, "metadata"),
  });
}

export function imagesToWire(r: ImageGenerationResponse) {
  return {
    created: Number(r.created),
    data: r.images.map((image) => ({
      ...(image.image.case === "url" ? { url: image.image.value } : {}),
      ...(image.image.case === "data" ? { b64_json: Buffer.from(image.image.value).toString("base64") } : {}),
      ...(image.revisedPrompt ? { revised_prompt: image.revisedPrompt } : {}),
    })),
    ...(r.usage ? { usage: { input_tokens: r.usage.promptTokens, output_tokens: r.usage.completionTokens, total_tokens: r.usage.totalTokens } } : {}),
  };
}

export function moderationRequestFromWire(body: Record<string, unknown>): ModerationRequest {
  return create(ModerationRequestSchema, { model: requireModel(body), input: textInputs(body), metadata: stringMap(body, "metadata") });
}

export function moderationToWire(r: ModerationResponse) {
  return {
    id: r.id,
    model: r.model || r.modelGroup,
    results: r.results.map((x) => ({ flagged: x.flagged, categories: x.categories, category_scores: x.categoryScores })),
  };
}

/** The model groups as OpenAI's model list; `owned_by` names the providers behind each. */
export function modelsToWire(r: ListModelsResponse) {
  return {
    object: "list",
    data: r.models.map((m) => ({ id: m.name, object: "model", created: 0, owned_by: m.providers.join(",") || "switchyard" })),
  };
}

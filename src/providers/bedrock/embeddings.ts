import type { EmbeddingRequest } from "../../../gen/ts/switchyard/v1/inference_pb.js";
import { ErrorKind, GatewayError, invalidField } from "../../errors/gateway-error.js";

/**
 * Embedding models on Bedrock have no Converse-style common API: each
 * family has its own InvokeModel body. Titan embeds one text per call;
 * Cohere takes a batch.
 */
export interface EmbeddingFamily {
  /** InvokeModel bodies for the inputs, in order; each answer yields vectors for its slice of inputs. */
  bodies(request: EmbeddingRequest): unknown[];
  vectors(answer: unknown): number[][];
}

const TITAN: EmbeddingFamily = {
  // https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-titan-embed-text.html
  bodies: (request) =>
    request.input.map((inputText) => ({
      inputText,
      ...(request.dimensions !== undefined ? { dimensions: request.dimensions } : {}),
      ...(request.options?.providerOptions ?? {}),
    })),
  vectors: (answer) => [vector((answer as { embedding?: unknown }).embedding)],
};

/** Cohere embed v3 accepts at most 96 texts per call. */
const COHERE_BATCH = 96;

const COHERE: EmbeddingFamily = {
  // https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-embed.html
  bodies: (request) => {
    if (request.dimensions !== undefined) throw invalidField("dimensions", "Cohere embeddings on Bedrock have a fixed size");
    const out: unknown[] = [];
    for (let i = 0; i < request.input.length; i += COHERE_BATCH) {
      // input_type is required; "search_document" suits indexing, override it through provider_options.
      out.push({ texts: request.input.slice(i, i + COHERE_BATCH), input_type: "search_document", ...(request.options?.providerOptions ?? {}) });
    }
    return out;
  },
  vectors: (answer) => {
    const embeddings = (answer as { embeddings?: unknown }).embeddings;
    if (!Array.isArray(embeddings)) throw badAnswer("no embeddings array");
    return embeddings.map(vector);
  },
};

function vector(value: unknown): number[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== "number")) throw badAnswer("embedding is not a list of numbers");
  return value as number[];
}

function badAnswer(detail: string): GatewayError {
  return new GatewayError(ErrorKind.BAD_RESPONSE, `bedrock: ${detail}`, { provider: "bedrock" });
}

/** The embedding family of a model id (inference-profile prefixes like "us." allowed), if it is one. */
export function embeddingFamily(modelId: string): EmbeddingFamily | undefined {
  const id = modelId.replace(/^(us|eu|apac|global)\./, "");
  if (id.startsWith("amazon.titan-embed-text")) return TITAN;
  if (id.startsWith("cohere.embed")) return COHERE;
  return undefined;
}

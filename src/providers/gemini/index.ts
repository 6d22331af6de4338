import { GEMINI_OWNED_FIELDS } from "./request.js";
import { create } from "@bufbuild/protobuf";
import { randomUUID } from "node:crypto";
import type { Deployment } from "../../../gen/ts/switchyard/v1/config_pb.js";
import {
  EmbeddingResponseSchema,
  type CompletionRequest,
  type EmbeddingRequest,
  type ModelResponseChunk,
} from "../../../gen/ts/switchyard/v1/inference_pb.js";
import { ErrorKind, GatewayError } from "../../errors/gateway-error.js";
import type { Clock } from "../../util/clock.js";
import { estimatePromptTokens, estimateTokens, withUsage } from "../../util/tokens.js";
import { parseSse } from "../http/sse.js";
import { UpstreamApi } from "../http/upstream-api.js";
import type { CallContext, ProviderAdapter, ProviderFactory } from "../provider.js";
import { parseGeminiError } from "./errors.js";
import { GEMINI_PRICES } from "./prices.js";
import { toGeminiEmbedRequest, toGeminiRequest } from "./request.js";
import { fromGeminiResponse } from "./response.js";
import { geminiChunks } from "./stream.js";

export const GEMINI_DEFAULT_API_BASE = "https://generativelanguage.googleapis.com";
export const GEMINI_DEFAULT_VERSION = "v1beta";

/** params.api_key, else $GEMINI_API_KEY, else $GOOGLE_API_KEY (the variables Google's SDKs read). */
function apiKeyOf(deployment: Deployment): string {
  return deployment.params?.apiKey || process.env.GEMINI_API_KEY || process.env.GOOGLE_API_KEY || "";
}

/** Google Gemini (Generative Language API) adapter: completions, streamed or not, and embeddings. */
export class GeminiAdapter implements ProviderAdapter {
  private readonly api: UpstreamApi;
  private readonly model: string;
  private readonly modelPath: string;

  constructor(
    deployment: Deployment,
    private readonly clock: Clock,
  ) {
    const params = deployment.params;
    const apiKey = apiKeyOf(deployment);
    this.api = new UpstreamApi({
      provider: "gemini",
      baseUrl: params?.apiBase || GEMINI_DEFAULT_API_BASE,
      configuredHeaders: params?.headers,
      // The key goes in a header, not the ?key= query string, so it never lands in URL logs.
      ownedHeaders: { "content-type": "application/json", "x-goog-api-key": apiKey },
      credentials: [apiKey],
      parseErrorBody: parseGeminiError,
    });
    this.model = (params?.model ?? "").replace(/^models\//, "");
    this.modelPath = `/${params?.apiVersion || GEMINI_DEFAULT_VERSION}/models/${this.model}`;
  }

  async complete(request: CompletionRequest, ctx: CallContext) {
    const answer = await this.api.postJson(`${this.modelPath}:generateContent`, toGeminiRequest(request), ctx.signal);
    return withUsage(fromGeminiResponse(answer, this.model, this.clock.now(), `gemini-${randomUUID()}`), request);
  }

  async *stream(request: CompletionRequest, ctx: CallContext): AsyncGenerator<ModelResponseChunk> {
    yield* this.api.postStream(`${this.modelPath}:streamGenerateContent?alt=sse`, toGeminiRequest(request), ctx.signal, "text/event-stream", (bytes) =>
      geminiChunks(parseSse(bytes), {
        model: this.model,
        fallbackId: `gemini-${randomUUID()}`,
        nowMs: this.clock.now(),
        secrets: this.api.secrets,
        estimatedPromptTokens: estimatePromptTokens(request),
      }),
    );
  }

  async embed(request: EmbeddingRequest, ctx: CallContext) {
    const body = (await this.api.postJson(`${this.modelPath}:batchEmbedContents`, toGeminiEmbedRequest(request, this.model), ctx.signal)) as { embeddings?: Array<{ values?: number[] }> };
    const embeddings = body?.embeddings;
    if (!Array.isArray(embeddings) || embeddings.length !== request.input.length) {
      throw new GatewayError(ErrorKind.BAD_RESPONSE, `gemini: expected ${request.input.length} embeddings, got ${embeddings?.length ?? "none"}`, {
        provider: "gemini",
      });
    }
    // batchEmbedContents reports no usage: count it locally.
    const promptTokens = request.input.reduce((sum, text) => sum + estimateTokens(text), 0);
    return create(EmbeddingResponseSchema, {
      model: this.model,
      data: embeddings.map((e, index) => ({ index, vector: e.values ?? [] })),
      usage: { promptTokens, totalTokens: promptTokens },
    });
  }

  close(): Promise<void> {
    return this.api.close();
  }
}

export const geminiProvider: ProviderFactory = {
  name: "gemini",
  ownedWireFields: GEMINI_OWNED_FIELDS,
  prices: GEMINI_PRICES,
  validate(deployment) {
    const problems: Array<[string, string]> = [];
    if (!deployment.params?.model) problems.push(["model", "is required (e.g. gemini-2.5-flash)"]);
    if (!apiKeyOf(deployment)) problems.push(["api_key", "is required (or set GEMINI_API_KEY)"]);
    return problems;
  },
  create(deployment, deps) {
    return new GeminiAdapter(deployment, deps.clock);
  },
};

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
import { estimatePromptTokens, estimateTokens } from "../../util/tokens.js";
import { bodyChunks, readJsonBody } from "../http/body.js";
import { parseSse } from "../http/sse.js";
import { UpstreamClient, type UpstreamResponse } from "../http/upstream-client.js";
import type { CallContext, ProviderAdapter, ProviderFactory } from "../provider.js";
import { geminiHttpError } from "./errors.js";
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
export class GeminiProvider implements ProviderAdapter {
  private readonly client: UpstreamClient;
  private readonly headers: Record<string, string>;
  private readonly secrets: string[];
  private readonly model: string;
  private readonly modelPath: string;

  constructor(
    deployment: Deployment,
    private readonly clock: Clock,
  ) {
    const params = deployment.params;
    this.client = new UpstreamClient("gemini", params?.apiBase || GEMINI_DEFAULT_API_BASE);
    const apiKey = apiKeyOf(deployment);
    this.secrets = apiKey ? [apiKey] : [];
    // The key goes in a header, not the ?key= query string, so it never lands in URL logs.
    this.headers = { ...params?.headers, "content-type": "application/json", "x-goog-api-key": apiKey };
    this.model = (params?.model ?? "").replace(/^models\//, "");
    this.modelPath = `/${params?.apiVersion || GEMINI_DEFAULT_VERSION}/models/${this.model}`;
  }

  private async post(method: string, body: unknown, ctx: CallContext): Promise<UpstreamResponse> {
    const res = await this.client.request({ path: `${this.modelPath}:${method}`, headers: this.headers, body: JSON.stringify(body), signal: ctx.signal });
    if (res.status >= 300) throw geminiHttpError(res.status, await this.client.text(res, ctx.signal), res.headers, this.secrets);
    return res;
  }

  async complete(request: CompletionRequest, ctx: CallContext) {
    const res = await this.post("generateContent", toGeminiRequest(request), ctx);
    return fromGeminiResponse(await readJsonBody(this.client, res, ctx.signal), this.model, this.clock.now(), `gemini-${randomUUID()}`);
  }

  async *stream(request: CompletionRequest, ctx: CallContext): AsyncGenerator<ModelResponseChunk> {
    const res = await this.post("streamGenerateContent?alt=sse", toGeminiRequest(request), ctx);
    yield* geminiChunks(parseSse(bodyChunks(this.client, res, ctx.signal)), {
      model: this.model,
      fallbackId: `gemini-${randomUUID()}`,
      nowMs: this.clock.now(),
      secrets: this.secrets,
      estimatedPromptTokens: estimatePromptTokens(request),
    });
  }

  async embed(request: EmbeddingRequest, ctx: CallContext) {
    const res = await this.post("batchEmbedContents", toGeminiEmbedRequest(request, this.model), ctx);
    const body = (await readJsonBody(this.client, res, ctx.signal)) as { embeddings?: Array<{ values?: number[] }> };
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
    return this.client.close();
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
    return new GeminiProvider(deployment, deps.clock);
  },
};

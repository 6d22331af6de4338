import { BEDROCK_OWNED_FIELDS } from "./request.js";
import { randomUUID } from "node:crypto";
import type { Deployment } from "../../../gen/ts/switchyard/v1/config_pb.js";
import { create } from "@bufbuild/protobuf";
import {
  EmbeddingResponseSchema,
  ResponseFormatType,
  type CompletionRequest,
  type EmbeddingRequest,
  type EmbeddingResponse,
  type ModelResponseChunk,
} from "../../../gen/ts/switchyard/v1/inference_pb.js";
import { ErrorKind, GatewayError } from "../../errors/gateway-error.js";
import type { Clock } from "../../util/clock.js";
import { estimatePromptTokens, estimateTokens, withUsage } from "../../util/tokens.js";
import { UpstreamApi } from "../http/upstream-api.js";
import type { UpstreamResponse } from "../http/upstream-client.js";
import type { CallContext, ProviderAdapter, ProviderFactory } from "../provider.js";
import { embeddingFamily, type EmbeddingFamily } from "./embeddings.js";
import { parseBedrockError } from "./errors.js";
import { BEDROCK_PRICES } from "./prices.js";
import { toConverseRequest } from "./request.js";
import { fromConverseResponse } from "./response.js";
import { BedrockSigner, credentialsFrom, SIGV4_HEADERS } from "./signing.js";
import { converseChunks, decodeEventStream } from "./stream.js";

function regionOf(deployment: Deployment, env: NodeJS.ProcessEnv = process.env): string {
  return deployment.params?.region || env.AWS_REGION || env.AWS_DEFAULT_REGION || "";
}

/** Parallel InvokeModel calls per Embed request (Titan embeds one text per call). */
const EMBED_CONCURRENCY = 8;

/**
 * AWS Bedrock adapter, SigV4-signed: Converse / ConverseStream (one API for
 * Anthropic, Llama, Mistral, Nova … on Bedrock) and, for Titan and Cohere
 * embedding models, embeddings through InvokeModel.
 */
export class BedrockAdapter implements ProviderAdapter {
  private readonly api: UpstreamApi;
  private readonly modelId: string;
  /** Present only for embedding models: the router offers Embed only where the method exists. */
  readonly embed?: (request: EmbeddingRequest, ctx: CallContext) => Promise<EmbeddingResponse>;

  constructor(
    deployment: Deployment,
    private readonly clock: Clock,
  ) {
    const params = deployment.params;
    const region = regionOf(deployment);
    const baseUrl = (params?.apiBase || `https://bedrock-runtime.${region}.amazonaws.com`).replace(/\/$/, "");
    const credentials = { accessKeyId: params?.awsAccessKeyId, secretAccessKey: params?.awsSecretAccessKey, sessionToken: params?.awsSessionToken };
    const signer = new BedrockSigner(region, credentialsFrom(credentials));
    this.api = new UpstreamApi({
      provider: "bedrock",
      baseUrl,
      configuredHeaders: params?.headers,
      ownedHeaders: { "content-type": "application/json" },
      // The signer adds these after the headers are built; from config they would break the signature or swap the session.
      reservedHeaders: SIGV4_HEADERS,
      credentials: [
        ...Object.values(credentials),
        // What the signer may read from the environment instead (as it is now; rotated keys still match the masking patterns).
        process.env.AWS_ACCESS_KEY_ID,
        process.env.AWS_SECRET_ACCESS_KEY,
        process.env.AWS_SESSION_TOKEN,
      ],
      parseErrorBody: parseBedrockError,
      sign: ({ path, headers, body }) => signer.sign({ url: new URL(baseUrl + path), method: "POST", headers, body }, new Date(this.clock.now())),
    });
    this.modelId = params?.model ?? "";
    const family = embeddingFamily(this.modelId);
    if (family) this.embed = (request, ctx) => this.embedWith(family, request, ctx);
  }

  /** The model id is one path segment, so its ':' is percent-encoded as the AWS SDK does. */
  private path(operation: "converse" | "converse-stream" | "invoke"): string {
    return `/model/${encodeURIComponent(this.modelId)}/${operation}`;
  }

  async complete(request: CompletionRequest, ctx: CallContext) {
    const res = await this.api.post(this.path("converse"), toConverseRequest(request), ctx.signal);
    const answer = fromConverseResponse(await this.api.readJson(res, ctx.signal), {
      model: this.modelId,
      id: requestId(res),
      nowMs: this.clock.now(),
      jsonTool: usesJsonTool(request),
    });
    return withUsage(answer, request);
  }

  async *stream(request: CompletionRequest, ctx: CallContext): AsyncGenerator<ModelResponseChunk> {
    // The SDK's frame splitter does not pass an early stop on to its source; postStream releases the connection itself.
    yield* this.api.postStream(this.path("converse-stream"), toConverseRequest(request), ctx.signal, "application/vnd.amazon.eventstream", (bytes, res) =>
      converseChunks(decodeEventStream(bytes), {
        id: requestId(res),
        model: this.modelId,
        nowMs: this.clock.now(),
        jsonTool: usesJsonTool(request),
        secrets: this.api.secrets,
        estimatedPromptTokens: estimatePromptTokens(request),
      }),
    );
  }

  private async embedWith(family: EmbeddingFamily, request: EmbeddingRequest, ctx: CallContext): Promise<EmbeddingResponse> {
    const answers = await mapConcurrently(family.bodies(request), EMBED_CONCURRENCY, async (body) => {
      const res = await this.api.post(this.path("invoke"), body, ctx.signal);
      const answer = await this.api.readJson(res, ctx.signal);
      // Bedrock reports input tokens in a header for every model (Titan also in the body).
      const counted = Number(res.headers["x-amzn-bedrock-input-token-count"] ?? (answer as { inputTextTokenCount?: number }).inputTextTokenCount);
      return { vectors: family.vectors(answer), tokens: Number.isFinite(counted) ? counted : undefined };
    });
    const vectors = answers.flatMap((a) => a.vectors);
    if (vectors.length !== request.input.length) {
      throw new GatewayError(ErrorKind.BAD_RESPONSE, `bedrock: expected ${request.input.length} embeddings, got ${vectors.length}`, { provider: "bedrock" });
    }
    const promptTokens = answers.every((a) => a.tokens !== undefined)
      ? answers.reduce((sum, a) => sum + a.tokens!, 0)
      : request.input.reduce((sum, text) => sum + estimateTokens(text), 0);
    return create(EmbeddingResponseSchema, {
      model: this.modelId,
      data: vectors.map((vector, index) => ({ index, vector })),
      usage: { promptTokens, totalTokens: promptTokens },
    });
  }

  close(): Promise<void> {
    return this.api.close();
  }
}

/** Runs `work` over `items` with at most `limit` in flight, results in input order. */
async function mapConcurrently<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Bedrock has no completion id; its request id names the call in AWS's logs, so it serves as one. */
function requestId(res: UpstreamResponse): string {
  const id = res.headers["x-amzn-requestid"];
  return (Array.isArray(id) ? id[0] : id) || `bedrock-${randomUUID()}`;
}

function usesJsonTool(request: CompletionRequest): boolean {
  const type = request.responseFormat?.type;
  return type === ResponseFormatType.JSON_OBJECT || type === ResponseFormatType.JSON_SCHEMA;
}

export const bedrockProvider: ProviderFactory = {
  name: "bedrock",
  ownedWireFields: BEDROCK_OWNED_FIELDS,
  prices: BEDROCK_PRICES,
  validate(deployment) {
    const problems: Array<[string, string]> = [];
    const params = deployment.params;
    if (!params?.model) problems.push(["model", "is required: a Bedrock model id or inference profile (e.g. anthropic.claude-3-5-haiku-20241022-v1:0)"]);
    if (!params?.apiBase && !regionOf(deployment)) problems.push(["region", "is required (or set AWS_REGION)"]);
    if (!!params?.awsAccessKeyId !== !!params?.awsSecretAccessKey) {
      problems.push([params?.awsAccessKeyId ? "aws_secret_access_key" : "aws_access_key_id", "must be set together with its pair"]);
    }
    return problems;
  },
  create(deployment, deps) {
    return new BedrockAdapter(deployment, deps.clock);
  },
};

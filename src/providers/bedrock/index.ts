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
import { estimatePromptTokens, estimateTokens } from "../../util/tokens.js";
import { bodyChunks, readJsonBody } from "../http/body.js";
import { UpstreamClient, type UpstreamResponse } from "../http/upstream-client.js";
import type { CallContext, ProviderAdapter, ProviderFactory } from "../provider.js";
import { embeddingFamily, type EmbeddingFamily } from "./embeddings.js";
import { bedrockHttpError } from "./errors.js";
import { BEDROCK_PRICES } from "./prices.js";
import { toConverseRequest } from "./request.js";
import { fromConverseResponse } from "./response.js";
import { BedrockSigner, credentialsFrom } from "./signing.js";
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
export class BedrockProvider implements ProviderAdapter {
  private readonly client: UpstreamClient;
  private readonly signer: BedrockSigner;
  private readonly baseUrl: string;
  private readonly modelId: string;
  private readonly extraHeaders: Record<string, string>;
  private readonly secrets: string[];
  /** Present only for embedding models: the router offers Embed only where the method exists. */
  readonly embed?: (request: EmbeddingRequest, ctx: CallContext) => Promise<EmbeddingResponse>;

  constructor(
    deployment: Deployment,
    private readonly clock: Clock,
  ) {
    const params = deployment.params;
    const region = regionOf(deployment);
    this.baseUrl = (params?.apiBase || `https://bedrock-runtime.${region}.amazonaws.com`).replace(/\/$/, "");
    this.client = new UpstreamClient("bedrock", this.baseUrl);
    this.modelId = params?.model ?? "";
    this.extraHeaders = { ...params?.headers };
    this.secrets = [params?.awsSecretAccessKey, params?.awsSessionToken].filter((s): s is string => !!s);
    this.signer = new BedrockSigner(
      region,
      credentialsFrom({ accessKeyId: params?.awsAccessKeyId, secretAccessKey: params?.awsSecretAccessKey, sessionToken: params?.awsSessionToken }),
    );
    const family = embeddingFamily(this.modelId);
    if (family) this.embed = (request, ctx) => this.embedWith(family, request, ctx);
  }

  /** Signs and sends; the model id is one path segment, so its ':' is percent-encoded as the AWS SDK does. */
  private async post(operation: "converse" | "converse-stream" | "invoke", body: unknown, ctx: CallContext, accept: string): Promise<UpstreamResponse> {
    const path = `/model/${encodeURIComponent(this.modelId)}/${operation}`;
    const url = new URL(this.baseUrl + path);
    const text = JSON.stringify(body);
    const headers = await this.signer.sign(
      { url, method: "POST", headers: { ...this.extraHeaders, "content-type": "application/json", accept }, body: text },
      new Date(this.clock.now()),
    );
    const res = await this.client.request({ path, headers, body: text, signal: ctx.signal });
    if (res.status >= 300) throw bedrockHttpError(res.status, await this.client.text(res, ctx.signal), res.headers, this.secrets);
    return res;
  }

  async complete(request: CompletionRequest, ctx: CallContext) {
    const res = await this.post("converse", toConverseRequest(request), ctx, "application/json");
    return fromConverseResponse(await readJsonBody(this.client, res, ctx.signal), {
      model: this.modelId,
      id: requestId(res),
      nowMs: this.clock.now(),
      jsonTool: usesJsonTool(request),
    });
  }

  async *stream(request: CompletionRequest, ctx: CallContext): AsyncGenerator<ModelResponseChunk> {
    const res = await this.post("converse-stream", toConverseRequest(request), ctx, "application/vnd.amazon.eventstream");
    try {
      yield* converseChunks(decodeEventStream(bodyChunks(this.client, res, ctx.signal)), {
        id: requestId(res),
        model: this.modelId,
        nowMs: this.clock.now(),
        jsonTool: usesJsonTool(request),
        secrets: this.secrets,
        estimatedPromptTokens: estimatePromptTokens(request),
      });
    } finally {
      // The SDK's frame splitter does not propagate an early stop to its source; release the connection here.
      res.body.destroy();
    }
  }

  private async embedWith(family: EmbeddingFamily, request: EmbeddingRequest, ctx: CallContext): Promise<EmbeddingResponse> {
    const answers = await mapConcurrently(family.bodies(request), EMBED_CONCURRENCY, async (body) => {
      const res = await this.post("invoke", body, ctx, "application/json");
      const answer = await readJsonBody(this.client, res, ctx.signal);
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
    return this.client.close();
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
    return new BedrockProvider(deployment, deps.clock);
  },
};

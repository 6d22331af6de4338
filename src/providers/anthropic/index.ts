import { ANTHROPIC_OWNED_FIELDS } from "./request.js";
import type { Deployment } from "../../../gen/ts/switchyard/v1/config_pb.js";
import { ResponseFormatType, type CompletionRequest, type ModelResponseChunk } from "../../../gen/ts/switchyard/v1/inference_pb.js";
import type { Clock } from "../../util/clock.js";
import { bodyChunks, readJsonBody } from "../http/body.js";
import { parseSse } from "../http/sse.js";
import { UpstreamClient, type UpstreamResponse } from "../http/upstream-client.js";
import type { CallContext, ProviderAdapter, ProviderFactory } from "../provider.js";
import { anthropicHttpError } from "./errors.js";
import { ANTHROPIC_PRICES } from "./prices.js";
import { toAnthropicRequest } from "./request.js";
import { fromAnthropicResponse } from "./response.js";
import { anthropicChunks } from "./stream.js";

export const ANTHROPIC_DEFAULT_API_BASE = "https://api.anthropic.com";
export const ANTHROPIC_DEFAULT_VERSION = "2023-06-01";

/** params.api_key, else $ANTHROPIC_API_KEY. */
function apiKeyOf(deployment: Deployment): string {
  return deployment.params?.apiKey || process.env.ANTHROPIC_API_KEY || "";
}

/** Anthropic Messages API adapter: completions, streamed or not. Anthropic offers no embeddings, images or moderation. */
export class AnthropicProvider implements ProviderAdapter {
  private readonly client: UpstreamClient;
  private readonly headers: Record<string, string>;
  private readonly secrets: string[];

  constructor(
    private readonly deployment: Deployment,
    private readonly clock: Clock,
  ) {
    const params = deployment.params;
    this.client = new UpstreamClient("anthropic", params?.apiBase || ANTHROPIC_DEFAULT_API_BASE);
    const apiKey = apiKeyOf(deployment);
    this.secrets = apiKey ? [apiKey] : [];
    this.headers = {
      ...params?.headers,
      "content-type": "application/json",
      "x-api-key": apiKey,
      "anthropic-version": params?.apiVersion || ANTHROPIC_DEFAULT_VERSION,
    };
  }

  private body(request: CompletionRequest, stream: boolean) {
    return toAnthropicRequest(request, {
      model: this.deployment.params?.model ?? "",
      maxOutputTokens: this.deployment.maxOutputTokens,
      stream,
    });
  }

  private async post(body: unknown, ctx: CallContext, accept: string): Promise<UpstreamResponse> {
    const res = await this.client.request({
      path: "/v1/messages",
      headers: { ...this.headers, accept },
      body: JSON.stringify(body),
      signal: ctx.signal,
    });
    if (res.status >= 300) {
      throw anthropicHttpError(res.status, await this.client.text(res, ctx.signal), res.headers, this.secrets);
    }
    return res;
  }

  async complete(request: CompletionRequest, ctx: CallContext) {
    const res = await this.post(this.body(request, false), ctx, "application/json");
    return fromAnthropicResponse(await readJsonBody(this.client, res, ctx.signal), usesJsonTool(request), this.clock.now());
  }

  async *stream(request: CompletionRequest, ctx: CallContext): AsyncGenerator<ModelResponseChunk> {
    const res = await this.post(this.body(request, true), ctx, "text/event-stream");
    yield* anthropicChunks(parseSse(bodyChunks(this.client, res, ctx.signal)), {
      jsonTool: usesJsonTool(request),
      nowMs: this.clock.now(),
      secrets: this.secrets,
    });
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

function usesJsonTool(request: CompletionRequest): boolean {
  const type = request.responseFormat?.type;
  return type === ResponseFormatType.JSON_OBJECT || type === ResponseFormatType.JSON_SCHEMA;
}

export const anthropicProvider: ProviderFactory = {
  name: "anthropic",
  ownedWireFields: ANTHROPIC_OWNED_FIELDS,
  prices: ANTHROPIC_PRICES,
  validate(deployment) {
    const problems: Array<[string, string]> = [];
    if (!deployment.params?.model) problems.push(["model", "is required (e.g. claude-sonnet-4-5)"]);
    if (!apiKeyOf(deployment)) problems.push(["api_key", "is required (or set ANTHROPIC_API_KEY)"]);
    return problems;
  },
  create(deployment, deps) {
    return new AnthropicProvider(deployment, deps.clock);
  },
};

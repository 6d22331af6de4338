import { ANTHROPIC_OWNED_FIELDS } from "./request.js";
import type { Deployment } from "../../../gen/ts/switchyard/v1/config_pb.js";
import { ResponseFormatType, type CompletionRequest, type ModelResponseChunk } from "../../../gen/ts/switchyard/v1/inference_pb.js";
import { withUsage } from "../../util/tokens.js";
import type { Clock } from "../../util/clock.js";
import { parseSse } from "../http/sse.js";
import { UpstreamApi } from "../http/upstream-api.js";
import type { CallContext, ProviderAdapter, ProviderFactory } from "../provider.js";
import { parseAnthropicError } from "./errors.js";
import { ANTHROPIC_PRICES } from "./prices.js";
import { toAnthropicRequest } from "./request.js";
import { fromAnthropicResponse } from "./response.js";
import { anthropicChunks } from "./stream.js";

export const ANTHROPIC_DEFAULT_API_BASE = "https://api.anthropic.com";
export const ANTHROPIC_DEFAULT_VERSION = "2023-06-01";
const MESSAGES_PATH = "/v1/messages";

/** params.api_key, else $ANTHROPIC_API_KEY. */
function apiKeyOf(deployment: Deployment): string {
  return deployment.params?.apiKey || process.env.ANTHROPIC_API_KEY || "";
}

/** Anthropic Messages API adapter: completions, streamed or not. Anthropic offers no embeddings, images or moderation. */
export class AnthropicAdapter implements ProviderAdapter {
  private readonly api: UpstreamApi;

  constructor(
    private readonly deployment: Deployment,
    private readonly clock: Clock,
  ) {
    const params = deployment.params;
    const apiKey = apiKeyOf(deployment);
    this.api = new UpstreamApi({
      provider: "anthropic",
      baseUrl: params?.apiBase || ANTHROPIC_DEFAULT_API_BASE,
      configuredHeaders: params?.headers,
      ownedHeaders: {
        "content-type": "application/json",
        "x-api-key": apiKey,
        "anthropic-version": params?.apiVersion || ANTHROPIC_DEFAULT_VERSION,
      },
      credentials: [apiKey],
      parseErrorBody: parseAnthropicError,
    });
  }

  private body(request: CompletionRequest, stream: boolean) {
    return toAnthropicRequest(request, {
      model: this.deployment.params?.model ?? "",
      maxOutputTokens: this.deployment.maxOutputTokens,
      stream,
    });
  }

  async complete(request: CompletionRequest, ctx: CallContext) {
    const answer = await this.api.postJson(MESSAGES_PATH, this.body(request, false), ctx.signal);
    return withUsage(fromAnthropicResponse(answer, usesJsonTool(request), this.clock.now()), request);
  }

  async *stream(request: CompletionRequest, ctx: CallContext): AsyncGenerator<ModelResponseChunk> {
    yield* this.api.postStream(MESSAGES_PATH, this.body(request, true), ctx.signal, "text/event-stream", (bytes) =>
      anthropicChunks(parseSse(bytes), { jsonTool: usesJsonTool(request), nowMs: this.clock.now(), secrets: this.api.secrets }),
    );
  }

  close(): Promise<void> {
    return this.api.close();
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
    return new AnthropicAdapter(deployment, deps.clock);
  },
};

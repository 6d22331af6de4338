import type {
  CompletionRequest,
  EmbeddingRequest,
  EmbeddingResponse,
  ImageGenerationRequest,
  ImageGenerationResponse,
  ModelResponse,
  ModelResponseChunk,
  ModerationRequest,
  ModerationResponse,
} from "../../gen/ts/switchyard/v1/inference_pb.js";
import type { Deployment } from "../../gen/ts/switchyard/v1/config_pb.js";
import type { Clock } from "../util/clock.js";
import type { OwnedWireFields } from "./owned-fields.js";

/** What every provider call gets: when to give up. */
export interface CallContext {
  /** Aborted when the client cancels, the deadline passes or the attempt times out. */
  signal: AbortSignal;
}

/**
 * The seam between the router and a provider. An adapter translates the
 * unified request into the provider's wire format and the answer back.
 *
 * Adapters fill the provider-owned fields of the answer (id, created,
 * model, choices, usage, system_fingerprint); the router fills the rest
 * (model_group, provider, deployment_id, cost, timings, attempts).
 * They throw only GatewayError, never raw HTTP or parse errors.
 * A call type the provider lacks is simply an absent method.
 */
export interface ProviderAdapter {
  complete?(request: CompletionRequest, ctx: CallContext): Promise<ModelResponse>;
  /** Chunks as they arrive; the last carries finish_reason and usage. */
  stream?(request: CompletionRequest, ctx: CallContext): AsyncIterable<ModelResponseChunk>;
  embed?(request: EmbeddingRequest, ctx: CallContext): Promise<EmbeddingResponse>;
  generateImage?(request: ImageGenerationRequest, ctx: CallContext): Promise<ImageGenerationResponse>;
  moderate?(request: ModerationRequest, ctx: CallContext): Promise<ModerationResponse>;
  /** Releases pooled connections. */
  close?(): Promise<void>;
}

/** List price and limits of one provider model. */
export interface ModelPrice {
  /** US dollars per prompt token. */
  inputCostPerToken: number;
  /** US dollars per completion token. */
  outputCostPerToken: number;
  /** US dollars per prompt token served from the provider's prompt cache; default: the input price. */
  cacheReadCostPerToken?: number;
  /** US dollars per prompt token written to the provider's prompt cache; default: the input price. */
  cacheWriteCostPerToken?: number;
  /** Context window, tokens. */
  maxInputTokens?: number;
  maxOutputTokens?: number;
}

/** Shared services handed to adapters when the config is resolved. */
export interface ProviderDeps {
  clock: Clock;
}

/**
 * Builds one adapter per deployment, once, at config load; the adapter
 * keeps whatever it needs (base URL, key, connection pool) so nothing is
 * re-derived per request.
 */
export interface ProviderFactory {
  /** The `provider` value in the config, e.g. "openai". */
  readonly name: string;
  /**
   * Known models' list prices and limits, by provider model name (the
   * deployment's params.model). A deployment's own cost fields override
   * these; unknown models cost 0 until configured.
   */
  readonly prices?: Readonly<Record<string, ModelPrice>>;
  /** Upstream body fields its request builders fill from the unified request; options.provider_options may not set them. */
  readonly ownedWireFields?: OwnedWireFields;
  /** Problems with the deployment's params, as [field path under params, message]; empty when valid. */
  validate?(deployment: Deployment): Array<[string, string]>;
  create(deployment: Deployment, deps: ProviderDeps): ProviderAdapter;
}

import type {
  CompletionRequest,
  EmbeddingRequest,
  ImageGenerationRequest,
  ModelResponseChunk,
  ModerationRequest,
} from "../../../gen/ts/switchyard/v1/inference_pb.js";
import type { Clock } from "../../util/clock.js";
import { parseSse } from "../http/sse.js";
import type { UpstreamApi } from "../http/upstream-api.js";
import type { CallContext, ProviderAdapter } from "../provider.js";
import type { WireCall, WireDialect } from "./dialect.js";
import { chatBody, embeddingBody, imageBody, moderationBody, type WireTarget } from "./request.js";
import { embeddingResponse, imageResponse, modelResponse, moderationResponse, type AnswerContext } from "./response.js";
import { chatChunks } from "./stream.js";

/** Everything that makes one OpenAI-wire upstream different from another, fixed when the deployment is resolved. */
export interface OpenAiWireEndpoint {
  /** Provider name for errors, e.g. "groq". */
  provider: string;
  /** Model name sent in the body. */
  model: string;
  dialect: WireDialect;
  /** The provider's base URL with its headers, secrets and error parsing. */
  api: UpstreamApi;
  /** Path (and query) of each call type the upstream offers, under the base URL. */
  paths: Readonly<Partial<Record<WireCall, string>>>;
  clock: Clock;
}

/**
 * The one adapter for every upstream that speaks OpenAI's wire format:
 * OpenAI itself, Azure OpenAI and the compatible family differ only in
 * their endpoint.
 */
export class OpenAiWireAdapter {
  private readonly target: WireTarget;

  constructor(private readonly endpoint: OpenAiWireEndpoint) {
    this.target = { provider: endpoint.provider, model: endpoint.model, dialect: endpoint.dialect };
  }

  async complete(request: CompletionRequest, ctx: CallContext) {
    const json = await this.postJson("chat", chatBody(request, this.target, false), ctx.signal);
    return modelResponse(json, request, this.answerContext());
  }

  async *stream(request: CompletionRequest, ctx: CallContext): AsyncGenerator<ModelResponseChunk> {
    const { api, paths } = this.endpoint;
    yield* api.postStream(paths.chat!, chatBody(request, this.target, true), ctx.signal, "text/event-stream", (bytes) =>
      chatChunks(parseSse(bytes), request, this.answerContext(), api.secrets),
    );
  }

  async embed(request: EmbeddingRequest, ctx: CallContext) {
    const json = await this.postJson("embeddings", embeddingBody(request, this.target), ctx.signal);
    return embeddingResponse(json, request, this.answerContext());
  }

  async generateImage(request: ImageGenerationRequest, ctx: CallContext) {
    const json = await this.postJson("images", imageBody(request, this.target), ctx.signal);
    return imageResponse(json, this.answerContext());
  }

  async moderate(request: ModerationRequest, ctx: CallContext) {
    const json = await this.postJson("moderations", moderationBody(request, this.target), ctx.signal);
    return moderationResponse(json, this.answerContext());
  }

  close(): Promise<void> {
    return this.endpoint.api.close();
  }

  /** This adapter seen through the seam, offering only the call types the upstream has. */
  offering(calls: ReadonlySet<WireCall>): ProviderAdapter {
    const view: ProviderAdapter = { close: () => this.close() };
    if (calls.has("chat")) {
      view.complete = (r, c) => this.complete(r, c);
      view.stream = (r, c) => this.stream(r, c);
    }
    if (calls.has("embeddings")) view.embed = (r, c) => this.embed(r, c);
    if (calls.has("images")) view.generateImage = (r, c) => this.generateImage(r, c);
    if (calls.has("moderations")) view.moderate = (r, c) => this.moderate(r, c);
    return view;
  }

  private answerContext(): AnswerContext {
    return { provider: this.endpoint.provider, model: this.endpoint.model, nowSeconds: Math.floor(this.endpoint.clock.now() / 1000) };
  }

  private postJson(call: WireCall, body: object, signal: AbortSignal): Promise<unknown> {
    return this.endpoint.api.postJson(this.endpoint.paths[call]!, body, signal);
  }
}

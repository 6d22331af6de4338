import type {
  CompletionRequest,
  EmbeddingRequest,
  ImageGenerationRequest,
  ModelResponseChunk,
  ModerationRequest,
} from "../../../gen/ts/switchyard/v1/inference_pb.js";
import type { Clock } from "../../util/clock.js";
import { bodyChunks, readJsonBody } from "../http/body.js";
import { parseSse } from "../http/sse.js";
import type { UpstreamClient, UpstreamResponse } from "../http/upstream-client.js";
import type { CallContext, ProviderAdapter } from "../provider.js";
import type { WireCall, WireDialect } from "./dialect.js";
import { httpErrorFromBody } from "./errors.js";
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
  /** Pool to the provider's base URL. */
  client: UpstreamClient;
  /** Auth and extra headers, sent on every request. */
  headers: Readonly<Record<string, string>>;
  /** Path (and query) of each call type the upstream offers, under the base URL. */
  paths: Readonly<Partial<Record<WireCall, string>>>;
  /** Values to mask in any error message (API keys, tokens). */
  secrets: readonly string[];
  clock: Clock;
}

/**
 * The one adapter for every upstream that speaks OpenAI's wire format:
 * OpenAI itself, Azure OpenAI and the compatible family differ only in
 * their endpoint.
 */
export class OpenAiWireAdapter {
  private readonly target: WireTarget;
  /** Request headers of JSON calls and of streams, built once. */
  private readonly jsonHeaders: Record<string, string>;
  private readonly streamHeaders: Record<string, string>;

  constructor(private readonly endpoint: OpenAiWireEndpoint) {
    this.target = { provider: endpoint.provider, model: endpoint.model, dialect: endpoint.dialect };
    this.jsonHeaders = { ...endpoint.headers, accept: "application/json" };
    this.streamHeaders = { ...endpoint.headers, accept: "text/event-stream" };
  }

  async complete(request: CompletionRequest, ctx: CallContext) {
    const json = await this.postJson("chat", chatBody(request, this.target, false), ctx.signal);
    return modelResponse(json, request, this.answerContext());
  }

  async *stream(request: CompletionRequest, ctx: CallContext): AsyncGenerator<ModelResponseChunk> {
    const res = await this.post("chat", chatBody(request, this.target, true), ctx.signal, this.streamHeaders);
    const { client, secrets } = this.endpoint;
    try {
      yield* chatChunks(parseSse(bodyChunks(client, res, ctx.signal)), request, this.answerContext(), secrets);
    } finally {
      // A consumer that stops early (or an error above) must not leave the upstream request running.
      if (!res.body.readableEnded) res.body.destroy();
    }
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
    return this.endpoint.client.close();
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

  private async postJson(call: WireCall, body: object, signal: AbortSignal): Promise<unknown> {
    const res = await this.post(call, body, signal, this.jsonHeaders);
    return readJsonBody(this.endpoint.client, res, signal);
  }

  /** Sends the body; a non-2xx answer is read and thrown as a taxonomy error. */
  private async post(call: WireCall, body: object, signal: AbortSignal, headers: Record<string, string>): Promise<UpstreamResponse> {
    const { client, paths, provider, secrets } = this.endpoint;
    const res = await client.request({ path: paths[call]!, headers, body: JSON.stringify(body), signal });
    if (res.status >= 200 && res.status < 300) return res;
    const text = await client.text(res, signal);
    throw httpErrorFromBody(provider, res.status, text, res.headers, secrets);
  }
}

import { clone, create, fromBinary, toBinary, type MessageShape } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  CacheInfoSchema,
  EmbeddingRequestSchema,
  EmbeddingResponseSchema,
  EmbeddingSchema,
  ModelResponseSchema,
  ImageGenerationResponseSchema,
  ModerationResponseSchema,
  TimingsSchema,
  type CacheControl,
  type CacheInfo,
  type CompletionRequest,
  type EmbeddingRequest,
  type EmbeddingResponse,
  type ImageGenerationRequest,
  type ImageGenerationResponse,
  type ModelResponse,
  type ModelResponseChunk,
  type ModerationRequest,
  type ModerationResponse,
  type Timings,
} from "../../gen/ts/switchyard/v1/inference_pb.js";
import type { ResolvedCacheSettings } from "../config/resolved.js";
import type { InferenceBackend } from "../router/inference-backend.js";
import type { RequestContext } from "../router/request-context.js";
import { CacheKeys, requestNamespace } from "./key.js";
import { SharedStream } from "./shared-stream.js";
import { SingleFlight } from "./single-flight.js";
import { replayAsChunks, StreamAssembler } from "./stream-replay.js";
import type { CacheHit, TieredCache } from "./tiered-cache.js";

/**
 * A backend (the router) with the response cache in front of it: it routes
 * nothing itself, and offers the same API as what it decorates. Per call type it looks the
 * request up (unless no_cache), answers hits with cost 0 and CacheInfo,
 * sends misses upstream (identical concurrent misses share one call), and
 * stores the answer (unless no_store) without waiting for slow layers.
 */
export class CachedBackend implements InferenceBackend {
  private readonly completions = new SingleFlight<ModelResponse>();
  private readonly embeddings = new SingleFlight<EmbeddingResponse>();
  private readonly moderations = new SingleFlight<ModerationResponse>();
  private readonly images = new SingleFlight<ImageGenerationResponse>();
  private readonly streamFlights = new Map<string, SharedStream<ModelResponseChunk>>();

  constructor(
    private readonly inner: InferenceBackend,
    private readonly cache: TieredCache,
    private readonly keys: CacheKeys,
    private readonly settings: ResolvedCacheSettings,
  ) {}

  listModels() {
    return this.inner.listModels();
  }

  async complete(request: CompletionRequest, ctx: RequestContext): Promise<ModelResponse> {
    if (!this.settings.callTypes.has("completion")) return this.inner.complete(request, ctx);
    const control = request.options?.cache;
    const key = this.keys.completion(request, requestNamespace(control?.namespace));
    const hit = await this.lookup(key, control, ctx);
    const cached = hit && decode(() => fromBinary(ModelResponseSchema, hit.entry.payload));
    if (hit && cached) {
      return Object.assign(cached, { costUsd: 0, attempts: [], timings: this.hitTimings(ctx), cache: cacheInfo(key, hit) });
    }
    // Only callers that joined another's flight get a copy: the one whose call ran owns its answer.
    let ranHere = false;
    const call = async () => {
      ranHere = true;
      const response = await this.inner.complete(request, ctx);
      if (!control?.noStore) this.store(key, storableBytes(response), control);
      return response;
    };
    const answer = control?.noCache ? await call() : await this.completions.run(key, ctx.signal, call);
    const response = ranHere ? answer : clone(ModelResponseSchema, answer);
    response.cache = cacheInfo(key);
    return response;
  }

  /**
   * A hit is replayed as a chunk stream; a miss streams through chunk by
   * chunk as it arrives and, once complete, is stored as one response.
   * Concurrent identical misses share one upstream stream.
   */
  async *stream(request: CompletionRequest, ctx: RequestContext): AsyncGenerator<ModelResponseChunk> {
    if (!this.settings.callTypes.has("completion")) return yield* this.inner.stream(request, ctx);
    const control = request.options?.cache;
    const key = this.keys.completion(request, requestNamespace(control?.namespace));
    const hit = await this.lookup(key, control, ctx);
    const cached = hit && decode(() => fromBinary(ModelResponseSchema, hit.entry.payload));
    if (hit && cached) {
      yield* replayAsChunks(cached, { costUsd: 0, attempts: [], timings: this.hitTimings(ctx), cache: cacheInfo(key, hit) });
      return;
    }
    if (control?.noCache) {
      // A caller asking for a fresh answer does not join a stream already in flight.
      yield* this.streamThrough(request, ctx, key, control);
      return;
    }
    let flight = this.streamFlights.get(key);
    if (!flight?.joinable) {
      const started = new SharedStream<ModelResponseChunk>((signal) => this.streamThrough(request, { ...ctx, signal }, key, control));
      this.streamFlights.set(key, started);
      void started.settled.then(() => {
        if (this.streamFlights.get(key) === started) this.streamFlights.delete(key);
      });
      flight = started;
    }
    yield* flight.subscribe(ctx.signal);
  }

  /** Upstream chunks passed through as they arrive, stamped with CacheInfo, and stored once complete. */
  private async *streamThrough(
    request: CompletionRequest,
    ctx: RequestContext,
    key: string,
    control: CacheControl | undefined,
  ): AsyncGenerator<ModelResponseChunk> {
    const assembler = new StreamAssembler();
    for await (const chunk of this.inner.stream(request, ctx)) {
      assembler.add(chunk);
      // The router stamps timings on the closing chunk only: that is where CacheInfo belongs too.
      if (chunk.timings) chunk.cache = cacheInfo(key);
      yield chunk;
    }
    const response = assembler.response();
    if (response && !control?.noStore) this.store(key, toBinary(ModelResponseSchema, response), control);
  }

  /**
   * Each input is cached on its own: only the inputs not in the cache go
   * upstream, and the answer is put back together in input order.
   */
  async embed(request: EmbeddingRequest, ctx: RequestContext): Promise<EmbeddingResponse> {
    if (!this.settings.callTypes.has("embedding")) return this.inner.embed(request, ctx);
    const control = request.options?.cache;
    const namespace = requestNamespace(control?.namespace);
    const unique = [...new Set(request.input)];
    const keyOf = new Map(unique.map((text) => [text, this.keys.embeddingItem(request, text, namespace)]));
    const found = new Map<string, { vector: number[]; hit: CacheHit; response: EmbeddingResponse }>();
    await Promise.all(
      unique.map(async (text) => {
        const hit = await this.lookup(keyOf.get(text)!, control, ctx);
        const response = hit && decode(() => fromBinary(EmbeddingResponseSchema, hit.entry.payload));
        const vector = response?.data[0]?.vector;
        if (hit && response && vector) found.set(text, { vector, hit, response });
      }),
    );
    const missing = unique.filter((text) => !found.has(text));

    if (missing.length === 0) {
      const hits = [...found.values()];
      const oldest = hits.reduce((a, b) => (b.hit.ageS > a.hit.ageS ? b : a));
      return create(EmbeddingResponseSchema, {
        model: oldest.response.model,
        modelGroup: oldest.response.modelGroup,
        provider: oldest.response.provider,
        deploymentId: oldest.response.deploymentId,
        data: request.input.map((text, index) => ({ index, vector: found.get(text)!.vector })),
        usage: {},
        costUsd: 0,
        timings: this.hitTimings(ctx),
        cache: create(CacheInfoSchema, { hit: true, layer: oldest.hit.layer, ageS: oldest.hit.ageS }),
      });
    }

    const upstreamRequest = clone(EmbeddingRequestSchema, request);
    upstreamRequest.input = missing;
    const call = async () => {
      const response = await this.inner.embed(upstreamRequest, ctx);
      if (!control?.noStore) {
        for (const item of response.data) {
          const text = missing[item.index];
          if (text === undefined) continue;
          const single = create(EmbeddingResponseSchema, {
            model: response.model,
            modelGroup: response.modelGroup,
            provider: response.provider,
            deploymentId: response.deploymentId,
            data: [{ index: 0, vector: item.vector }],
          });
          this.store(keyOf.get(text)!, toBinary(EmbeddingResponseSchema, single), control);
        }
      }
      return response;
    };
    const flightKey = missing.map((text) => keyOf.get(text)).join(",");
    const upstream = control?.noCache ? await call() : await this.embeddings.run(flightKey, ctx.signal, call);
    const fresh = new Map(upstream.data.map((item) => [missing[item.index], item.vector]));
    const response = clone(EmbeddingResponseSchema, upstream);
    response.data = request.input.map((text, index) =>
      create(EmbeddingSchema, { index, vector: found.get(text)?.vector ?? fresh.get(text) ?? [] }),
    );
    response.cache = create(CacheInfoSchema, { hit: false });
    return response;
  }

  async moderate(request: ModerationRequest, ctx: RequestContext): Promise<ModerationResponse> {
    if (!this.settings.callTypes.has("moderation")) return this.inner.moderate(request, ctx);
    const control = request.options?.cache;
    const key = this.keys.moderation(request, requestNamespace(control?.namespace));
    return this.cachedUnary(ModerationResponseSchema, key, control, ctx, this.moderations, () => this.inner.moderate(request, ctx));
  }

  async generateImage(request: ImageGenerationRequest, ctx: RequestContext): Promise<ImageGenerationResponse> {
    if (!this.settings.callTypes.has("image_generation")) return this.inner.generateImage(request, ctx);
    const control = request.options?.cache;
    const key = this.keys.imageGeneration(request, requestNamespace(control?.namespace));
    return this.cachedUnary(ImageGenerationResponseSchema, key, control, ctx, this.images, () => this.inner.generateImage(request, ctx));
  }

  /**
   * Lookup, single flight and store for answers without CacheInfo
   * (moderation, images): a hit gets fresh timings, no attempts and cost 0.
   */
  private async cachedUnary<Desc extends typeof ModerationResponseSchema | typeof ImageGenerationResponseSchema>(
    schema: Desc,
    key: string,
    control: CacheControl | undefined,
    ctx: RequestContext,
    flights: SingleFlight<MessageShape<Desc>>,
    upstream: () => Promise<MessageShape<Desc>>,
  ): Promise<MessageShape<Desc>> {
    const hit = await this.lookup(key, control, ctx);
    const cached = hit && decode(() => fromBinary(schema, hit.entry.payload));
    if (cached) {
      const answer = cached as MessageShape<Desc> & { costUsd?: number };
      Object.assign(answer, { attempts: [], timings: this.hitTimings(ctx) });
      if ("costUsd" in answer) answer.costUsd = 0;
      return answer;
    }
    const call = async () => {
      const response = await upstream();
      if (!control?.noStore) {
        const stored = clone(schema, response) as MessageShape<Desc> & { timings?: Timings; attempts: unknown[] };
        stored.timings = undefined;
        stored.attempts = [];
        this.store(key, toBinary(schema, stored), control);
      }
      return response;
    };
    return control?.noCache ? call() : clone(schema, await flights.run(key, ctx.signal, call));
  }

  private async lookup(key: string, control: CacheControl | undefined, ctx: RequestContext): Promise<CacheHit | undefined> {
    const observed = ctx.observer?.cacheLookup();
    if (control?.noCache) {
      if (observed) for (const layer of this.cache.layerNames) observed.layer(layer, "skip");
      observed?.end(false);
      return undefined;
    }
    const hit = await this.cache.get(key, control?.maxAgeS, observed);
    observed?.end(hit !== undefined);
    return hit;
  }

  private store(key: string, payload: Uint8Array, control: CacheControl | undefined): void {
    this.cache.store(key, payload, control?.ttlS ?? this.settings.defaultTtlS);
  }

  /** A hit's timings: no upstream, so all of it is gateway time. */
  private hitTimings(ctx: RequestContext): Timings {
    const completedMs = Math.round((performance.now() - ctx.startedAt) * 1000) / 1000;
    return create(TimingsSchema, {
      receivedAt: timestampFromMs(ctx.receivedAtMs),
      firstTokenMs: completedMs,
      completedMs,
      gatewayOverheadMs: completedMs,
    });
  }
}

function cacheInfo(key: string, hit?: CacheHit): CacheInfo {
  return create(CacheInfoSchema, hit ? { hit: true, layer: hit.layer, ageS: hit.ageS, key } : { hit: false, key });
}

/**
 * The answer without the per-call fields a hit replaces (timings, attempts,
 * cost, cache info), serialized. The fields are blanked on the answer itself
 * for the synchronous encode and put back, instead of deep-copying it.
 */
function storableBytes(response: ModelResponse): Uint8Array {
  const { timings, attempts, costUsd, cache } = response;
  response.timings = undefined;
  response.attempts = [];
  response.costUsd = 0;
  response.cache = undefined;
  try {
    return toBinary(ModelResponseSchema, response);
  } finally {
    response.timings = timings;
    response.attempts = attempts;
    response.costUsd = costUsd;
    response.cache = cache;
  }
}

/** An entry that no longer decodes (a schema change, a foreign writer) is a miss, not a failure. */
function decode<T>(parse: () => T): T | undefined {
  try {
    return parse();
  } catch {
    return undefined;
  }
}

import { create } from "@bufbuild/protobuf";
import { createHash, randomUUID } from "node:crypto";
import type { Deployment, MockParams } from "../../../gen/ts/switchyard/v1/config_pb.js";
import {
  EmbeddingResponseSchema,
  EmbeddingSchema,
  ImageGenerationResponseSchema,
  ModelResponseChunkSchema,
  ModelResponseSchema,
  ModerationResponseSchema,
  type CompletionRequest,
} from "../../../gen/ts/switchyard/v1/inference_pb.js";
import type { Clock } from "../../util/clock.js";
import { seededRandom, type Random } from "../../util/random.js";
import { estimatedUsage, estimatePromptTokens, estimateTokens } from "../../util/tokens.js";
import type { CallContext, ProviderAdapter, ProviderDeps, ProviderFactory } from "../provider.js";
import { mockAnswer, splitIntoChunks } from "./answer.js";
import { MockPromptCache } from "./prompt-cache.js";
import { injectedFailure } from "./failures.js";

const DEFAULT_CHUNK_COUNT = 4;
const DEFAULT_EMBEDDING_DIMENSIONS = 16;
/** A 1x1 transparent PNG: the mock's generated image. */
const PIXEL_PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
  "base64",
);
/** Words the mock moderation model flags, by category. */
const FLAGGED_WORDS: Record<string, string[]> = { violence: ["kill", "attack"], harassment: ["idiot", "stupid"] };

/**
 * The built-in provider: deterministic answers with no network, real
 * streaming, usage counts, and knobs for latency and injected failures so
 * the whole gateway can be exercised without API keys.
 */
export class MockAdapter implements ProviderAdapter {
  private readonly params: MockParams;
  private readonly dice: Random;
  /** Separate from the failure dice, so turning on slow calls leaves failure sequences unchanged. */
  private readonly slowDice: Random;
  private calls = 0;
  /** Present when params.prompt_cache: what this deployment has seen, for cached_prompt_tokens. */
  private readonly promptCache?: MockPromptCache;

  constructor(
    private readonly deployment: Deployment,
    private readonly clock: Clock,
  ) {
    this.params = deployment.params?.mock ?? ({} as MockParams);
    this.dice = seededRandom(Number(this.params.seed ?? 0n) || hashSeed(deployment.modelName + deployment.id));
    this.slowDice = seededRandom((Number(this.params.seed ?? 0n) || hashSeed(deployment.modelName + deployment.id)) ^ 0x5bd1e995);
    if (this.params.promptCache) this.promptCache = new MockPromptCache();
  }

  /** Usage of an answer: estimated, with the cached part of the prompt when the deployment models a prompt cache. */
  private usageOf(request: CompletionRequest, answer: { text: string; toolCalls: ReadonlyArray<{ function?: { arguments: string } }> }) {
    const usage = estimatedUsage(request, answer.text + answer.toolCalls.map((c) => c.function?.arguments ?? "").join(""));
    if (this.promptCache) usage.cachedPromptTokens = Math.min(usage.promptTokens, this.promptCache.cachedTokens(request));
    return usage;
  }

  private get model(): string {
    return this.deployment.params?.model || "mock-1";
  }

  /** Waits the configured latency, then fails if the dice say so. */
  private async beforeAnswer(ctx: CallContext): Promise<void> {
    const slow = (this.params.slowRate ?? 0) > 0 && this.slowDice() < this.params.slowRate!;
    await this.clock.sleep(slow ? (this.params.slowLatencyMs ?? 0) : (this.params.latencyMs ?? 0), ctx.signal);
    if (++this.calls <= (this.params.failFirstCalls ?? 0)) throw injectedFailure(this.params.failureKind);
    const rate = this.params.failureRate ?? 0;
    if (rate > 0 && this.dice() < rate) throw injectedFailure(this.params.failureKind);
  }

  async complete(request: CompletionRequest, ctx: CallContext) {
    await this.beforeAnswer(ctx);
    const answer = mockAnswer(request, this.params.response);
    return create(ModelResponseSchema, {
      id: `chatcmpl-mock-${randomUUID()}`,
      created: BigInt(Math.floor(this.clock.now() / 1000)),
      model: this.model,
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: answer.text, toolCalls: answer.toolCalls },
          finishReason: answer.finishReason,
        },
      ],
      usage: this.usageOf(request, answer),
    });
  }

  async *stream(request: CompletionRequest, ctx: CallContext) {
    await this.beforeAnswer(ctx);
    const answer = mockAnswer(request, this.params.response);
    const id = `chatcmpl-mock-${randomUUID()}`;
    const created = BigInt(Math.floor(this.clock.now() / 1000));
    const base = { id, created, model: this.model };
    const delay = this.params.chunkDelayMs ?? 0;
    const pieces = answer.toolCalls.length > 0 ? [] : splitIntoChunks(answer.text, this.params.chunkCount ?? DEFAULT_CHUNK_COUNT);

    for (const [i, piece] of pieces.entries()) {
      if (i > 0) await this.clock.sleep(delay, ctx.signal);
      if (i === this.params.failStreamAfterChunks) throw injectedFailure(this.params.failureKind);
      yield create(ModelResponseChunkSchema, {
        ...base,
        choices: [{ index: 0, delta: { role: i === 0 ? "assistant" : "", content: piece } }],
      });
    }
    for (const [index, call] of answer.toolCalls.entries()) {
      yield create(ModelResponseChunkSchema, {
        ...base,
        choices: [
          {
            index: 0,
            delta: {
              role: "assistant",
              toolCalls: [{ index, id: call.id, name: call.function?.name ?? "", arguments: call.function?.arguments ?? "" }],
            },
          },
        ],
      });
    }
    await this.clock.sleep(delay, ctx.signal);
    yield create(ModelResponseChunkSchema, {
      ...base,
      choices: [{ index: 0, delta: {}, finishReason: answer.finishReason }],
      usage: this.usageOf(request, answer),
    });
  }

  async embed(request: { input: string[]; dimensions?: number }, ctx: CallContext) {
    await this.beforeAnswer(ctx);
    const dimensions = request.dimensions ?? DEFAULT_EMBEDDING_DIMENSIONS;
    const promptTokens = request.input.reduce((sum, text) => sum + estimateTokens(text), 0);
    return create(EmbeddingResponseSchema, {
      model: this.model,
      data: request.input.map((text, index) => create(EmbeddingSchema, { index, vector: deterministicVector(text, dimensions) })),
      usage: { promptTokens, totalTokens: promptTokens },
    });
  }

  async generateImage(request: { prompt: string; n?: number }, ctx: CallContext) {
    await this.beforeAnswer(ctx);
    const count = request.n ?? 1;
    return create(ImageGenerationResponseSchema, {
      created: BigInt(Math.floor(this.clock.now() / 1000)),
      model: this.model,
      images: Array.from({ length: count }, () => ({
        image: { case: "data" as const, value: new Uint8Array(PIXEL_PNG) },
        mimeType: "image/png",
        revisedPrompt: request.prompt,
      })),
    });
  }

  async moderate(request: { input: string[] }, ctx: CallContext) {
    await this.beforeAnswer(ctx);
    return create(ModerationResponseSchema, {
      id: `modr-mock-${randomUUID()}`,
      model: this.model,
      results: request.input.map((text) => {
        const words = new Set(text.toLowerCase().split(/\W+/));
        const categories: Record<string, boolean> = {};
        const categoryScores: Record<string, number> = {};
        for (const [category, flaggedWords] of Object.entries(FLAGGED_WORDS)) {
          const hit = flaggedWords.some((w) => words.has(w));
          categories[category] = hit;
          categoryScores[category] = hit ? 0.99 : 0.01;
        }
        return { flagged: Object.values(categories).some(Boolean), categories, categoryScores };
      }),
    });
  }
}

function hashSeed(text: string): number {
  return createHash("sha256").update(text).digest().readUInt32LE(0) || 1;
}

/** A unit vector derived from the text's hash: equal texts embed equally. */
function deterministicVector(text: string, dimensions: number): number[] {
  const random = seededRandom(hashSeed(text));
  const vector = Array.from({ length: dimensions }, () => random() * 2 - 1);
  const norm = Math.hypot(...vector) || 1;
  return vector.map((v) => v / norm);
}

export const mockProvider: ProviderFactory = {
  name: "mock",
  validate(deployment) {
    const problems: Array<[string, string]> = [];
    const rate = deployment.params?.mock?.failureRate;
    if (rate !== undefined && (rate < 0 || rate > 1)) problems.push(["mock.failure_rate", `must be between 0 and 1, got ${rate}`]);
    return problems;
  },
  create(deployment: Deployment, deps: ProviderDeps) {
    return new MockAdapter(deployment, deps.clock);
  },
};


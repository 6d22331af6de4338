import type { ProviderAdapter, ProviderFactory } from "../../src/providers/provider.js";
import { mockProvider } from "../../src/providers/mock/index.js";
import { builtinProviders, type ProviderRegistry } from "../../src/providers/registry.js";

/** What reached the upstream: one record per provider call. */
export interface UpstreamCalls {
  complete: number;
  stream: number;
  /** Streams the provider finished, and streams cut off because their signal was aborted. */
  streamsCompleted: number;
  streamsAborted: number;
  /** The inputs of each embedding call, in call order. */
  embed: string[][];
  moderate: number;
  total(): number;
}

/**
 * The built-in mock provider, registered as `counting`, with every call
 * counted as it reaches the provider: the observable "upstream call"
 * behind the cache and the router.
 */
export function countingProviders(): { providers: ProviderRegistry; calls: UpstreamCalls } {
  const calls: UpstreamCalls = {
    complete: 0,
    stream: 0,
    streamsCompleted: 0,
    streamsAborted: 0,
    embed: [],
    moderate: 0,
    total() {
      return this.complete + this.stream + this.embed.length + this.moderate;
    },
  };
  const counting: ProviderFactory = {
    name: "counting",
    validate: mockProvider.validate,
    create(deployment, deps) {
      const inner = mockProvider.create(deployment, deps);
      const adapter: ProviderAdapter = {
        generateImage: inner.generateImage?.bind(inner),
        close: inner.close?.bind(inner),
        complete: (request, ctx) => {
          calls.complete++;
          return inner.complete!(request, ctx);
        },
        stream: (request, ctx) => {
          calls.stream++;
          return tracked(inner.stream!(request, ctx), ctx.signal);
        },
        embed: (request, ctx) => {
          calls.embed.push([...request.input]);
          return inner.embed!(request, ctx);
        },
        moderate: (request, ctx) => {
          calls.moderate++;
          return inner.moderate!(request, ctx);
        },
      };
      return adapter;
    },
  };
  async function* tracked<T>(source: AsyncIterable<T>, signal: AbortSignal): AsyncGenerator<T> {
    try {
      yield* source;
      calls.streamsCompleted++;
    } catch (err) {
      if (signal.aborted) calls.streamsAborted++;
      throw err;
    }
  }
  return { providers: builtinProviders().register(counting), calls };
}

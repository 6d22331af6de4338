import type { ProviderFactory } from "./provider.js";
import { mockProvider } from "./mock/index.js";
import { anthropicProvider } from "./anthropic/index.js";
import { geminiProvider } from "./gemini/index.js";
import { bedrockProvider } from "./bedrock/index.js";
import { openaiProvider } from "./openai/index.js";
import { azureProvider } from "./azure/index.js";
import { openAiCompatibleProviders } from "./openai-compatible/index.js";

/**
 * Provider name → factory. Adding a provider is one folder plus a line here.
 * Names: a provider is its factory, `<name>Provider: ProviderFactory`; what
 * the factory creates per deployment is an adapter, `<Name>Adapter`.
 */
export class ProviderRegistry {
  private readonly factories = new Map<string, ProviderFactory>();

  constructor(factories: Iterable<ProviderFactory> = []) {
    for (const factory of factories) this.register(factory);
  }

  register(factory: ProviderFactory): this {
    this.factories.set(factory.name, factory);
    return this;
  }

  get(name: string): ProviderFactory | undefined {
    return this.factories.get(name);
  }

  names(): string[] {
    return [...this.factories.keys()].sort();
  }
}

/** Every provider the gateway ships with. */
export function builtinProviders(): ProviderRegistry {
  return new ProviderRegistry([
    mockProvider,
    anthropicProvider,
    geminiProvider,
    bedrockProvider,
    openaiProvider,
    azureProvider,
    ...openAiCompatibleProviders,
  ]);
}

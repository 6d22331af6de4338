import { OPENAI_DIALECT, perMillion, type OpenAiWireSpec, type WireDialect } from "../openai/index.js";

/**
 * The OpenAI-compatible family as data: each provider is its endpoint,
 * its key's environment variable, the call types it offers and how its
 * dialect departs from OpenAI's. Adding one is adding an entry.
 */

/** What most compatible servers accept: no `developer` role, and the classic max_tokens. */
const COMPATIBLE: WireDialect = { ...OPENAI_DIALECT, developerRole: false, maxTokensField: "max_tokens" };

/** Hosted APIs send `Authorization: Bearer <key>` and need one. */
function hosted(name: string, defaultApiBase: string, apiKeyEnv: string, rest: Partial<OpenAiWireSpec> = {}): OpenAiWireSpec {
  return { name, defaultApiBase, apiKeyEnv, auth: "bearer", keyRequired: true, dialect: COMPATIBLE, calls: ["chat"], ...rest };
}

/** Local servers need no key (one is sent if configured, e.g. vLLM's --api-key). */
function local(name: string, defaultApiBase: string | undefined, rest: Partial<OpenAiWireSpec> = {}): OpenAiWireSpec {
  return { name, defaultApiBase, auth: "bearer", keyRequired: false, dialect: COMPATIBLE, calls: ["chat", "embeddings"], ...rest };
}

export const OPENAI_COMPATIBLE_PROVIDERS: readonly OpenAiWireSpec[] = [
  hosted("groq", "https://api.groq.com/openai/v1", "GROQ_API_KEY", {
    prices: {
      "llama-3.3-70b-versatile": perMillion(0.59, 0.79, 131_072, 32_768),
      "llama-3.1-8b-instant": perMillion(0.05, 0.08, 131_072, 131_072),
    },
  }),
  hosted("together", "https://api.together.xyz/v1", "TOGETHER_API_KEY", {
    calls: ["chat", "embeddings", "images"],
    prices: {
      "meta-llama/Llama-3.3-70B-Instruct-Turbo": perMillion(0.88, 0.88, 131_072),
      "meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo": perMillion(0.18, 0.18, 131_072),
    },
  }),
  hosted("fireworks", "https://api.fireworks.ai/inference/v1", "FIREWORKS_API_KEY", {
    calls: ["chat", "embeddings"],
    prices: { "accounts/fireworks/models/llama-v3p3-70b-instruct": perMillion(0.9, 0.9, 131_072) },
  }),
  hosted("deepseek", "https://api.deepseek.com/v1", "DEEPSEEK_API_KEY", {
    // DeepSeek's chat models are text-only.
    dialect: { ...COMPATIBLE, images: false },
    prices: {
      "deepseek-chat": perMillion(0.28, 0.42, 128_000, 8_192),
      "deepseek-reasoner": perMillion(0.28, 0.42, 128_000, 65_536),
    },
  }),
  hosted("mistral", "https://api.mistral.ai/v1", "MISTRAL_API_KEY", {
    calls: ["chat", "embeddings"],
    // Mistral rejects unknown fields (422), names the seed random_seed,
    // calls "required" tool choice "any", has no `user` field and always
    // reports usage on the last chunk (https://docs.mistral.ai/api/).
    dialect: { ...COMPATIBLE, streamUsage: false, seedField: "random_seed", toolChoiceRequired: "any", userField: false },
    prices: {
      "mistral-large-latest": perMillion(2, 6, 131_072),
      "mistral-small-latest": perMillion(0.1, 0.3, 131_072),
      "mistral-embed": perMillion(0.1, 0, 8_192),
    },
  }),
  hosted("openrouter", "https://openrouter.ai/api/v1", "OPENROUTER_API_KEY"),
  hosted("perplexity", "https://api.perplexity.ai", "PERPLEXITY_API_KEY", {
    // Sonar models answer from search; the API has no function calling.
    dialect: { ...COMPATIBLE, tools: false },
    prices: { sonar: perMillion(1, 1, 127_072), "sonar-pro": perMillion(3, 15, 200_000) },
  }),
  hosted("xai", "https://api.x.ai/v1", "XAI_API_KEY", {
    calls: ["chat", "images"],
    prices: { "grok-3": perMillion(3, 15, 131_072), "grok-3-mini": perMillion(0.3, 0.5, 131_072) },
  }),
  hosted("deepinfra", "https://api.deepinfra.com/v1/openai", "DEEPINFRA_API_KEY", { calls: ["chat", "embeddings"] }),
  hosted("cerebras", "https://api.cerebras.ai/v1", "CEREBRAS_API_KEY", {
    dialect: { ...COMPATIBLE, images: false },
    prices: { "llama3.1-8b": perMillion(0.1, 0.1, 8_192) },
  }),
  local("ollama", "http://localhost:11434/v1"),
  local("vllm", "http://localhost:8000/v1"),
  local("lmstudio", "http://localhost:1234/v1"),
  // Any other server that speaks the wire format: api_base is required, a key optional.
  local("openai_compatible", undefined, { calls: ["chat", "embeddings", "images", "moderations"] }),
];

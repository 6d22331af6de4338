import type { ModelPrice } from "../provider.js";

/** US dollars per million tokens, as the price pages list them. */
function perMillion(input: number, output: number, maxInputTokens?: number, maxOutputTokens?: number): ModelPrice {
  return { inputCostPerToken: input / 1e6, outputCostPerToken: output / 1e6, maxInputTokens, maxOutputTokens };
}

/**
 * OpenAI list prices (standard tier, https://openai.com/api/pricing) and
 * context windows of well-known models. A deployment's own
 * input_cost_per_token / output_cost_per_token override these.
 */
export const OPENAI_PRICES: Readonly<Record<string, ModelPrice>> = {
  "gpt-5": perMillion(1.25, 10, 272_000, 128_000),
  "gpt-5-mini": perMillion(0.25, 2, 272_000, 128_000),
  "gpt-5-nano": perMillion(0.05, 0.4, 272_000, 128_000),
  "gpt-4.1": perMillion(2, 8, 1_047_576, 32_768),
  "gpt-4.1-mini": perMillion(0.4, 1.6, 1_047_576, 32_768),
  "gpt-4.1-nano": perMillion(0.1, 0.4, 1_047_576, 32_768),
  "gpt-4o": perMillion(2.5, 10, 128_000, 16_384),
  "gpt-4o-2024-08-06": perMillion(2.5, 10, 128_000, 16_384),
  "gpt-4o-mini": perMillion(0.15, 0.6, 128_000, 16_384),
  "gpt-4-turbo": perMillion(10, 30, 128_000, 4_096),
  "gpt-3.5-turbo": perMillion(0.5, 1.5, 16_385, 4_096),
  o1: perMillion(15, 60, 200_000, 100_000),
  o3: perMillion(2, 8, 200_000, 100_000),
  "o3-mini": perMillion(1.1, 4.4, 200_000, 100_000),
  "o4-mini": perMillion(1.1, 4.4, 200_000, 100_000),
  "text-embedding-3-small": perMillion(0.02, 0, 8_191),
  "text-embedding-3-large": perMillion(0.13, 0, 8_191),
  "text-embedding-ada-002": perMillion(0.1, 0, 8_191),
  "omni-moderation-latest": perMillion(0, 0),
};

export { perMillion };

import type { ModelPrice } from "../provider.js";

const perMillion = (input: number, output: number, maxInputTokens: number, maxOutputTokens?: number): ModelPrice => ({
  inputCostPerToken: input / 1e6,
  outputCostPerToken: output / 1e6,
  maxInputTokens,
  ...(maxOutputTokens !== undefined ? { maxOutputTokens } : {}),
});

/**
 * Paid-tier list prices (https://ai.google.dev/gemini-api/docs/pricing, US$
 * per million tokens, prompts up to 200k tokens where the price is tiered).
 */
export const GEMINI_PRICES: Record<string, ModelPrice> = {
  "gemini-2.5-pro": perMillion(1.25, 10, 1_048_576, 65_536),
  "gemini-2.5-flash": perMillion(0.3, 2.5, 1_048_576, 65_536),
  "gemini-2.5-flash-lite": perMillion(0.1, 0.4, 1_048_576, 65_536),
  "gemini-2.0-flash": perMillion(0.1, 0.4, 1_048_576, 8_192),
  "gemini-2.0-flash-001": perMillion(0.1, 0.4, 1_048_576, 8_192),
  "gemini-2.0-flash-lite": perMillion(0.075, 0.3, 1_048_576, 8_192),
  "gemini-1.5-pro": perMillion(1.25, 5, 2_097_152, 8_192),
  "gemini-1.5-flash": perMillion(0.075, 0.3, 1_048_576, 8_192),
  "gemini-embedding-001": perMillion(0.15, 0, 2_048),
  "text-embedding-004": perMillion(0, 0, 2_048),
};

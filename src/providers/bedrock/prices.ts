import type { ModelPrice } from "../provider.js";

const perMillion = (input: number, output: number, maxInputTokens: number, maxOutputTokens?: number): ModelPrice => ({
  inputCostPerToken: input / 1e6,
  outputCostPerToken: output / 1e6,
  maxInputTokens,
  ...(maxOutputTokens !== undefined ? { maxOutputTokens } : {}),
});

/** On-demand list prices in us-east-1 (https://aws.amazon.com/bedrock/pricing/, US$ per million tokens). */
const BASE: Record<string, ModelPrice> = {
  "anthropic.claude-opus-4-1-20250805-v1:0": perMillion(15, 75, 200_000, 32_000),
  "anthropic.claude-sonnet-4-5-20250929-v1:0": perMillion(3, 15, 200_000, 64_000),
  "anthropic.claude-sonnet-4-20250514-v1:0": perMillion(3, 15, 200_000, 64_000),
  "anthropic.claude-3-7-sonnet-20250219-v1:0": perMillion(3, 15, 200_000, 64_000),
  "anthropic.claude-3-5-sonnet-20241022-v2:0": perMillion(3, 15, 200_000, 8_192),
  "anthropic.claude-haiku-4-5-20251001-v1:0": perMillion(1, 5, 200_000, 64_000),
  "anthropic.claude-3-5-haiku-20241022-v1:0": perMillion(0.8, 4, 200_000, 8_192),
  "anthropic.claude-3-haiku-20240307-v1:0": perMillion(0.25, 1.25, 200_000, 4_096),
  "meta.llama3-3-70b-instruct-v1:0": perMillion(0.72, 0.72, 128_000, 8_192),
  "meta.llama3-1-405b-instruct-v1:0": perMillion(2.4, 2.4, 128_000, 8_192),
  "meta.llama3-1-70b-instruct-v1:0": perMillion(0.72, 0.72, 128_000, 8_192),
  "meta.llama3-1-8b-instruct-v1:0": perMillion(0.22, 0.22, 128_000, 8_192),
  "amazon.nova-pro-v1:0": perMillion(0.8, 3.2, 300_000, 5_000),
  "amazon.nova-lite-v1:0": perMillion(0.06, 0.24, 300_000, 5_000),
  "amazon.nova-micro-v1:0": perMillion(0.035, 0.14, 128_000, 5_000),
  "mistral.mistral-large-2402-v1:0": perMillion(4, 12, 32_000, 8_192),
  "amazon.titan-embed-text-v2:0": perMillion(0.02, 0, 8_192),
  "amazon.titan-embed-text-v1": perMillion(0.1, 0, 8_192),
  "cohere.embed-english-v3": perMillion(0.1, 0, 512),
  "cohere.embed-multilingual-v3": perMillion(0.1, 0, 512),
};

/**
 * A cross-region inference profile is billed at the calling region's
 * price, so US profiles ("us." prefix) cost the us-east-1 list price. Other
 * geographies' prices differ; configure them per deployment.
 */
export const BEDROCK_PRICES: Record<string, ModelPrice> = Object.fromEntries(
  Object.entries(BASE).flatMap(([id, price]) => [[id, price], [`us.${id}`, price]]),
);

import type { ModelPrice } from "../provider.js";

/** Prompt-cache reads bill at 0.1x the input price and (5-minute) writes at 1.25x, for every Claude model. */
const perMillion = (input: number, output: number, maxInputTokens: number, maxOutputTokens: number): ModelPrice => ({
  inputCostPerToken: input / 1e6,
  outputCostPerToken: output / 1e6,
  cacheReadCostPerToken: (input * 0.1) / 1e6,
  cacheWriteCostPerToken: (input * 1.25) / 1e6,
  maxInputTokens,
  maxOutputTokens,
});

/** List prices (https://www.anthropic.com/pricing, US$ per million tokens) and limits of current Claude models. */
export const ANTHROPIC_PRICES: Record<string, ModelPrice> = {
  "claude-opus-4-5": perMillion(5, 25, 200_000, 64_000),
  "claude-opus-4-5-20251101": perMillion(5, 25, 200_000, 64_000),
  "claude-opus-4-1": perMillion(15, 75, 200_000, 32_000),
  "claude-opus-4-1-20250805": perMillion(15, 75, 200_000, 32_000),
  "claude-opus-4-0": perMillion(15, 75, 200_000, 32_000),
  "claude-opus-4-20250514": perMillion(15, 75, 200_000, 32_000),
  "claude-sonnet-4-5": perMillion(3, 15, 200_000, 64_000),
  "claude-sonnet-4-5-20250929": perMillion(3, 15, 200_000, 64_000),
  "claude-sonnet-4-0": perMillion(3, 15, 200_000, 64_000),
  "claude-sonnet-4-20250514": perMillion(3, 15, 200_000, 64_000),
  "claude-3-7-sonnet-latest": perMillion(3, 15, 200_000, 64_000),
  "claude-3-7-sonnet-20250219": perMillion(3, 15, 200_000, 64_000),
  "claude-3-5-sonnet-20241022": perMillion(3, 15, 200_000, 8_192),
  "claude-haiku-4-5": perMillion(1, 5, 200_000, 64_000),
  "claude-haiku-4-5-20251001": perMillion(1, 5, 200_000, 64_000),
  "claude-3-5-haiku-latest": perMillion(0.8, 4, 200_000, 8_192),
  "claude-3-5-haiku-20241022": perMillion(0.8, 4, 200_000, 8_192),
  "claude-3-haiku-20240307": perMillion(0.25, 1.25, 200_000, 4_096),
};

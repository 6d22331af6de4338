import type { Usage } from "../../gen/ts/switchyard/v1/inference_pb.js";
import type { ResolvedDeployment } from "../config/resolve.js";
import { estimateTokensOfLength } from "../util/tokens.js";

type Prices = Pick<ResolvedDeployment, "inputCostPerToken" | "outputCostPerToken" | "cacheReadCostPerToken" | "cacheWriteCostPerToken">;

/**
 * Cost of one answer in US dollars. prompt_tokens counts every prompt
 * token, including those read from or written to the provider's prompt
 * cache, which are billed at their own rates (e.g. Anthropic: reads at a
 * tenth of the input price, writes at 1.25x).
 */
export function costOf(prices: Prices, usage: Usage | undefined): number {
  if (!usage) return 0;
  const cacheRead = usage.cachedPromptTokens;
  const cacheWrite = usage.cacheCreationPromptTokens;
  const uncached = Math.max(0, usage.promptTokens - cacheRead - cacheWrite);
  return (
    uncached * prices.inputCostPerToken +
    cacheRead * prices.cacheReadCostPerToken +
    cacheWrite * prices.cacheWriteCostPerToken +
    usage.completionTokens * prices.outputCostPerToken
  );
}

/** Cost of a stream whose usage never arrived (cut short, or an upstream that reports none): the prompt estimate plus the text it streamed, at about four characters a token. */
export function streamedCostEstimate(prices: Prices, promptTokens: number, streamedChars: number): number {
  return promptTokens * prices.inputCostPerToken + estimateTokensOfLength(streamedChars) * prices.outputCostPerToken;
}

import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { UsageSchema } from "../../gen/ts/switchyard/v1/inference_pb.js";
import { ANTHROPIC_PRICES } from "../../src/providers/anthropic/prices.js";
import { costOf } from "../../src/router/cost.js";
import { configFromYaml } from "../support/gateway.js";
import { resolveConfig } from "../../src/config/resolve.js";
import { builtinProviders } from "../../src/providers/registry.js";

const prices = { inputCostPerToken: 3e-6, outputCostPerToken: 15e-6, cacheReadCostPerToken: 0.3e-6, cacheWriteCostPerToken: 3.75e-6 };

describe("costOf", () => {
  it("bills uncached prompt, cache reads, cache writes and completion at their own rates", () => {
    const usage = create(UsageSchema, { promptTokens: 1_000, cachedPromptTokens: 600, cacheCreationPromptTokens: 100, completionTokens: 50 });
    expect(costOf(prices, usage)).toBeCloseTo(300 * 3e-6 + 600 * 0.3e-6 + 100 * 3.75e-6 + 50 * 15e-6, 12);
  });

  it("is prompt x input + completion x output without prompt caching, and 0 without usage", () => {
    expect(costOf(prices, create(UsageSchema, { promptTokens: 10, completionTokens: 2 }))).toBeCloseTo(10 * 3e-6 + 2 * 15e-6, 12);
    expect(costOf(prices, undefined)).toBe(0);
  });

  it("takes cache rates from the price table, overridable per deployment, defaulting to the input price", () => {
    const config = resolveConfig(
      configFromYaml(`
model_list:
  - { model_name: claude, provider: anthropic, params: { model: claude-sonnet-4-5, api_key: k } }
  - { model_name: tuned, provider: anthropic, params: { model: claude-sonnet-4-5, api_key: k }, cache_read_cost_per_token: 0.000001 }
  - { model_name: custom, provider: mock, input_cost_per_token: 0.000002 }
`),
      builtinProviders(),
    );
    const [claude, tuned, custom] = config.deployments;
    expect(claude?.cacheReadCostPerToken).toBeCloseTo(ANTHROPIC_PRICES["claude-sonnet-4-5"]!.inputCostPerToken * 0.1, 15);
    expect(claude?.cacheWriteCostPerToken).toBeCloseTo(ANTHROPIC_PRICES["claude-sonnet-4-5"]!.inputCostPerToken * 1.25, 15);
    expect(tuned?.cacheReadCostPerToken).toBe(0.000001);
    expect(custom?.cacheReadCostPerToken).toBe(0.000002);
    expect(custom?.cacheWriteCostPerToken).toBe(0.000002);
  });
});

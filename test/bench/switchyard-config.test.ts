import { describe, expect, it } from "vitest";
import { ROUTING_STRATEGIES, switchyardConfig, type SwitchyardVariant, type UpstreamMode } from "../../bench/lib/switchyard-config.js";
import { parseConfig } from "../../src/config/load.js";
import { builtinProviders } from "../../src/providers/registry.js";

const variants: SwitchyardVariant[] = [
  { kind: "plain" },
  { kind: "cache", layer: "memory" },
  { kind: "cache", layer: "redis", redisUrl: "redis://127.0.0.1:6399" },
  ...ROUTING_STRATEGIES.map((strategy) => ({ kind: "router" as const, strategy, deployments: 10 })),
];

describe("benchmark configs for Switchyard", () => {
  const providers = builtinProviders();
  const modes: UpstreamMode[] = providers.get("openai") ? ["openai", "mock"] : ["mock"];

  for (const mode of modes) {
    for (const variant of variants) {
      it(`${mode} provider, ${JSON.stringify(variant)}: passes the gateway's own config loader`, () => {
        const text = JSON.stringify(switchyardConfig(variant, mode, "http://127.0.0.1:9999"));
        const config = parseConfig(text, "bench.json", { providers, env: {} });
        expect(config.modelList).toHaveLength(variant.kind === "router" ? 10 : 1);
        expect(new Set(config.modelList.map((d) => d.modelName))).toEqual(new Set(["bench"]));
        expect(new Set(config.modelList.map((d) => d.id)).size).toBe(config.modelList.length);
        if (mode === "openai") expect(config.modelList[0].params?.apiBase).toBe("http://127.0.0.1:9999/v1");
        if (variant.kind === "cache") expect(config.cacheSettings?.enabled).toBe(true);
      });
    }
  }
});

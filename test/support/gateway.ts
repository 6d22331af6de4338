import type { RouterConfig } from "../../gen/ts/switchyard/v1/config_pb.js";
import { parseConfig } from "../../src/config/load.js";
import { builtinProviders, type ProviderRegistry } from "../../src/providers/registry.js";
import { startGateway, type Gateway } from "../../src/server/gateway.js";
import type { Clock } from "../../src/util/clock.js";

/** Parses YAML config text the way the CLI does (same loader, same validation). */
export function configFromYaml(yaml: string, providers: ProviderRegistry = builtinProviders()): RouterConfig {
  return parseConfig(yaml, "test-config.yaml", { providers, env: process.env });
}

/** Starts a real gateway on a free loopback port. */
export async function startTestGateway(
  yaml: string,
  options: { providers?: ProviderRegistry; clock?: Clock } = {},
): Promise<Gateway> {
  const providers = options.providers ?? builtinProviders();
  return startGateway({ config: configFromYaml(yaml, providers), port: 0, host: "127.0.0.1", providers, clock: options.clock });
}

/** A mock-only config: `model` served by N mock deployments with the given mock params. */
export function mockConfig(mockParams: Record<string, unknown> = {}, modelName = "mock"): string {
  return JSON.stringify({
    model_list: [{ model_name: modelName, provider: "mock", params: { model: "mock-1", mock: mockParams } }],
  });
}

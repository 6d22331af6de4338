import type { RouterConfig } from "../../gen/ts/switchyard/v1/config_pb.js";
import { DEFAULT_CONFIG_NAME, DEFAULT_CONFIG_YAML } from "../config/default-config.js";
import { loadConfigFile, parseConfig } from "../config/load.js";
import type { ProviderRegistry } from "../providers/registry.js";

/** The config file given, or the embedded default when none is. */
export async function loadRouterConfig(file: string | undefined, providers: ProviderRegistry): Promise<{ config: RouterConfig; source: string }> {
  if (file) return { config: await loadConfigFile(file, { providers }), source: file };
  return { config: parseConfig(DEFAULT_CONFIG_YAML, DEFAULT_CONFIG_NAME, { providers }), source: DEFAULT_CONFIG_NAME };
}

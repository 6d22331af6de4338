/**
 * The config the gateway runs when given none: model `mock` served by the
 * built-in mock provider, so a fresh install answers with no API keys.
 * It goes through the same parser as a user's file.
 */
export const DEFAULT_CONFIG_NAME = "<embedded default config>";

export const DEFAULT_CONFIG_YAML = `
model_list:
  - model_name: mock
    provider: mock
    params:
      model: mock-1
      mock:
        chunk_count: 6
        chunk_delay_ms: 20
router_settings:
  routing_strategy: simple-shuffle
server_settings:
  port: 4000
`;

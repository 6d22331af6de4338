import { OPENAI_DIALECT } from "./dialect.js";
import { openAiWireFactory } from "./factory.js";
import { OPENAI_PRICES } from "./prices.js";

export { OPENAI_DIALECT, type WireCall, type WireDialect } from "./dialect.js";
export { openAiWireFactory, type OpenAiWireSpec } from "./factory.js";
export { OPENAI_PRICES, perMillion } from "./prices.js";

/** OpenAI's API: chat (unary and streaming), embeddings, image generation and moderation. */
export const openaiProvider = openAiWireFactory({
  name: "openai",
  defaultApiBase: "https://api.openai.com/v1",
  apiKeyEnv: "OPENAI_API_KEY",
  auth: "bearer",
  keyRequired: true,
  dialect: OPENAI_DIALECT,
  calls: ["chat", "embeddings", "images", "moderations"],
  prices: OPENAI_PRICES,
  // https://platform.openai.com/docs/api-reference/authentication (organization header)
  extraHeaders: (params): Record<string, string> => (params.organization ? { "openai-organization": params.organization } : {}),
});

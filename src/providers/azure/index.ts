import type { ProviderParams } from "../../../gen/ts/switchyard/v1/config_pb.js";
import { OPENAI_DIALECT, OPENAI_PRICES, openAiWireFactory, type WireCall } from "../openai/index.js";

/** The GA data-plane version; params.api_version overrides it. */
export const DEFAULT_AZURE_API_VERSION = "2024-10-21";

/**
 * Azure OpenAI addresses a *deployment*, not a model: every call goes to
 * /openai/deployments/{deployment}/{operation}?api-version=...
 * (https://learn.microsoft.com/azure/ai-services/openai/reference).
 * params.model is the deployment name.
 */
export function azurePaths(params: ProviderParams): Partial<Record<WireCall, string>> {
  const deployment = encodeURIComponent(params.model);
  const query = `?api-version=${encodeURIComponent(params.apiVersion || DEFAULT_AZURE_API_VERSION)}`;
  const path = (operation: string) => `/openai/deployments/${deployment}/${operation}${query}`;
  return {
    chat: path("chat/completions"),
    embeddings: path("embeddings"),
    images: path("images/generations"),
  };
}

/**
 * Azure OpenAI: chat (unary and streaming), embeddings and image
 * generation (Azure has no moderation endpoint; its content filter runs
 * on every call instead). The key goes in the `api-key` header; for
 * Microsoft Entra ID set `headers: {Authorization: "Bearer <token>"}`
 * instead of api_key. Prices apply when the deployment is named after its
 * model (e.g. a deployment called "gpt-4o"); otherwise set them per
 * deployment.
 */
export const azureProvider = openAiWireFactory({
  name: "azure",
  apiKeyEnv: "AZURE_API_KEY",
  auth: "api-key",
  keyRequired: true,
  // max_completion_tokens and the developer role only exist in newer API
  // versions than the GA default; reasoning deployments can pass
  // max_completion_tokens through options.provider_options.
  dialect: { ...OPENAI_DIALECT, maxTokensField: "max_tokens", developerRole: false },
  calls: ["chat", "embeddings", "images"],
  prices: OPENAI_PRICES,
  paths: azurePaths,
});

export { createGatewayCache, GatewayCache } from "./gateway-cache.js";
export type { InferenceBackend } from "./caching-router.js";
export { cacheSettingsProblems } from "./settings.js";

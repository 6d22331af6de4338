export { createGatewayCache, GatewayCache } from "./gateway-cache.js";
export { CachedBackend } from "./cached-backend.js";

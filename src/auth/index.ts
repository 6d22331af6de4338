export { Authenticator, type AuthIdentity, type Grant } from "./authenticator.js";
export { authInterceptor, authIdentityKey } from "./interceptor.js";
export { keyAdmin } from "./key-admin.js";
export { authSettingsProblems, createAuthenticator } from "./settings.js";
export { KEY_PREFIX } from "./keys.js";

import type { ContextValues } from "@connectrpc/connect";
import { authIdentityKey } from "../auth/interceptor.js";

/**
 * The key_alias label value of a call: the virtual key's alias, "master"
 * for the master key, "" when the call was not authenticated (auth off, a
 * refused key, or a service auth does not guard). Never the key id or the
 * secret: aliases are names the operator chose to show.
 *
 * The auth interceptor runs inside the observability one and sets the
 * identity in the call's context values, a mutable object shared by all
 * interceptors of the call, so it is readable here once the call has ended.
 */
export function keyAliasOf(contextValues: ContextValues): string {
  const identity = contextValues.get(authIdentityKey);
  if (!identity) return "";
  return identity.isMaster ? "master" : identity.alias;
}

import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import { invalidField } from "../errors/gateway-error.js";

/** The four call types whose requests carry options.provider_options. */
export type WireCallType = "completion" | "embedding" | "image" | "moderation";

/**
 * The upstream body fields a provider's request builder fills from the
 * unified request, per call type. `options.provider_options` is merged
 * into that body, so a field listed here may not appear in it: the model,
 * the conversation, streaming, tools and limits are the unified API's,
 * and letting a caller replace them would let one caller change what a
 * cached answer means for everyone (cache poisoning) or which model is
 * billed (cost and audit). A dotted path ("generationConfig.topP") owns a
 * key inside an object the provider merges rather than replaces.
 */
export type OwnedWireFields = Readonly<Partial<Record<WireCallType, readonly string[]>>>;

interface Owner {
  providers: Set<string>;
}

/**
 * Every registered provider's owned fields, merged per call type, checked
 * before routing. The union (not only the providers of the request's model
 * group) is checked because retries and fallbacks may carry a request to
 * any provider, and because the check must not depend on routing: a
 * refused request never reaches a deployment, so it can never count
 * against one.
 */
export class ProviderOptionsGuard {
  private readonly owned = new Map<WireCallType, Map<string, Owner>>();

  /** `registry`: the ProviderRegistry (named by shape, so this module does not import the registry, which imports every provider). */
  constructor(registry: { names(): string[]; get(name: string): { readonly ownedWireFields?: OwnedWireFields } | undefined }) {
    for (const name of registry.names()) {
      const fields = registry.get(name)?.ownedWireFields ?? {};
      for (const [callType, paths] of Object.entries(fields) as Array<[WireCallType, readonly string[]]>) {
        const byPath = this.owned.get(callType) ?? new Map<string, Owner>();
        this.owned.set(callType, byPath);
        for (const path of paths) {
          const owner = byPath.get(path) ?? { providers: new Set<string>() };
          owner.providers.add(name);
          byPath.set(path, owner);
        }
      }
    }
  }

  /** INVALID_ARGUMENT naming `options.provider_options.<field>` when provider_options sets an owned field. */
  check(callType: WireCallType, providerOptions: JsonObject | undefined): void {
    if (!providerOptions) return;
    // Merged with Object.assign, "__proto__" would replace the body's prototype instead of adding a field.
    if (Object.hasOwn(providerOptions, "__proto__")) throw invalidField("options.provider_options.__proto__", "is not a field name");
    const byPath = this.owned.get(callType);
    if (!byPath) return;
    for (const [path, owner] of byPath) {
      const dot = path.indexOf(".");
      if (dot < 0) {
        if (Object.hasOwn(providerOptions, path)) throw owned(path, owner);
        continue;
      }
      const parent = path.slice(0, dot);
      if (!Object.hasOwn(providerOptions, parent)) continue;
      const value: JsonValue | undefined = providerOptions[parent];
      if (!isObject(value)) throw invalidField(`options.provider_options.${parent}`, "must be an object (its keys are merged into the gateway's own)");
      if (Object.hasOwn(value, path.slice(dot + 1))) throw owned(path, owner);
    }
  }
}

function owned(path: string, owner: Owner): Error {
  return invalidField(
    `options.provider_options.${path}`,
    `is set by the gateway from the unified request (${[...owner.providers].sort().join(", ")}); use the unified field instead`,
  );
}

function isObject(value: JsonValue | undefined): value is JsonObject {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

import type { ResolvedConfig, ResolvedDeployment } from "../config/resolved.js";
import type { ProviderAdapter, ProviderDeps } from "../providers/provider.js";
import type { ProviderRegistry } from "../providers/registry.js";

/** The calls the router routes: the adapter methods other than close. */
export type CallType = "complete" | "stream" | "embed" | "generateImage" | "moderate";

/** Each call type's adapter method, as the router calls it (present: the provider offers that call). */
export type AdapterCalls = { [C in CallType]-?: NonNullable<ProviderAdapter[C]> };

/** How each call type's method is read off an adapter: bound to it, or undefined when its provider lacks that call. */
const METHOD_OF: { readonly [C in CallType]: (adapter: ProviderAdapter) => AdapterCalls[C] | undefined } = {
  complete: (a) => a.complete?.bind(a),
  stream: (a) => a.stream?.bind(a),
  embed: (a) => a.embed?.bind(a),
  generateImage: (a) => a.generateImage?.bind(a),
  moderate: (a) => a.moderate?.bind(a),
};

type CallTables = { readonly [C in CallType]: ReadonlyMap<string, AdapterCalls[C]> };

/**
 * The live side of one resolved config: one adapter per deployment, with
 * the connection pools they open. It is their only owner: it builds them
 * from the config (which stays plain data), hands the router each
 * deployment's method per call type, and closes them. A hot reload builds
 * a new runtime for the new config and closes the old one once the calls
 * that started on it have finished (LiveRouter).
 */
export class DeploymentRuntime {
  private readonly adapters = new Map<string, ProviderAdapter>();
  private readonly calls: CallTables;
  private closing?: Promise<void>;

  constructor(
    readonly config: ResolvedConfig,
    providers: ProviderRegistry,
    deps: ProviderDeps,
  ) {
    for (const deployment of config.deployments) {
      const factory = providers.get(deployment.provider);
      if (!factory) throw new Error(`provider "${deployment.provider}" is not registered`); // validate.ts reports this first
      this.adapters.set(deployment.id, factory.create(deployment.config, deps));
    }
    this.calls = {
      complete: this.table("complete"),
      stream: this.table("stream"),
      embed: this.table("embed"),
      generateImage: this.table("generateImage"),
      moderate: this.table("moderate"),
    };
  }

  /** The deployment's method for `callType`, or undefined when its provider does not offer that call. */
  call<C extends CallType>(callType: C, deployment: ResolvedDeployment): AdapterCalls[C] | undefined {
    const table: ReadonlyMap<string, AdapterCalls[C]> = this.calls[callType];
    return table.get(deployment.id);
  }

  /** Releases every adapter's pooled connections; later calls return the same promise. */
  close(): Promise<void> {
    this.closing ??= Promise.all([...this.adapters.values()].map((adapter) => adapter.close?.())).then(() => undefined);
    return this.closing;
  }

  private table<C extends CallType>(callType: C): Map<string, AdapterCalls[C]> {
    const table = new Map<string, AdapterCalls[C]>();
    for (const [id, adapter] of this.adapters) {
      const method = METHOD_OF[callType](adapter);
      if (method) table.set(id, method);
    }
    return table;
  }
}

import type { Deployment, ProviderParams } from "../../../gen/ts/switchyard/v1/config_pb.js";
import { UpstreamApi } from "../http/upstream-api.js";
import type { ModelPrice, ProviderDeps, ProviderFactory } from "../provider.js";
import { OpenAiWireAdapter } from "./adapter.js";
import { parseOpenAiError } from "./errors.js";
import { OPENAI_WIRE_OWNED_FIELDS } from "./request.js";
import type { WireCall, WireDialect } from "./dialect.js";

/** Everything that describes one OpenAI-wire provider: the whole of a compatible provider is one of these. */
export interface OpenAiWireSpec {
  /** The `provider` value in the config. */
  name: string;
  /** Public endpoint; absent means params.api_base is required. */
  defaultApiBase?: string;
  /** Environment variable read for the key when params.api_key is empty. */
  apiKeyEnv?: string;
  /** How the key is sent: `Authorization: Bearer <key>`, or Azure's `api-key: <key>`. */
  auth: "bearer" | "api-key";
  /** Whether a deployment without any credential is a config error (hosted APIs) or fine (local servers). */
  keyRequired: boolean;
  dialect: WireDialect;
  /** Call types the provider offers. */
  calls: readonly WireCall[];
  prices?: Readonly<Record<string, ModelPrice>>;
  /** Path of each call under the base URL; default OpenAI's. */
  paths?: (params: ProviderParams) => Partial<Record<WireCall, string>>;
  /** Headers derived from params besides auth (e.g. OpenAI-Organization). */
  extraHeaders?: (params: ProviderParams) => Record<string, string>;
}

const OPENAI_PATHS: Record<WireCall, string> = {
  chat: "/chat/completions",
  embeddings: "/embeddings",
  images: "/images/generations",
  moderations: "/moderations",
};

/** Builds the ProviderFactory of an OpenAI-wire provider from its spec. */
export function openAiWireFactory(spec: OpenAiWireSpec): ProviderFactory {
  const calls = new Set(spec.calls);
  return {
    name: spec.name,
    prices: spec.prices,
    ownedWireFields: OPENAI_WIRE_OWNED_FIELDS,
    validate: (deployment) => validateParams(spec, deployment.params),
    create(deployment: Deployment, deps: ProviderDeps) {
      const params = deployment.params!;
      const apiKey = apiKeyOf(spec, params);
      const api = new UpstreamApi({
        provider: spec.name,
        baseUrl: params.apiBase || spec.defaultApiBase!,
        configuredHeaders: params.headers,
        ownedHeaders: { "content-type": "application/json", ...authHeader(spec, apiKey), ...spec.extraHeaders?.(params) },
        credentials: [apiKey],
        parseErrorBody: parseOpenAiError,
      });
      const adapter = new OpenAiWireAdapter({
        provider: spec.name,
        model: params.model,
        dialect: spec.dialect,
        api,
        paths: spec.paths?.(params) ?? OPENAI_PATHS,
        clock: deps.clock,
      });
      return adapter.offering(calls);
    },
  };
}

function apiKeyOf(spec: OpenAiWireSpec, params: ProviderParams): string {
  return params.apiKey || (spec.apiKeyEnv ? (process.env[spec.apiKeyEnv] ?? "") : "");
}

function validateParams(spec: OpenAiWireSpec, params: ProviderParams | undefined): Array<[string, string]> {
  const problems: Array<[string, string]> = [];
  if (!params?.model) problems.push(["model", `is required (the ${spec.name} model name)`]);
  const base = params?.apiBase ?? "";
  if (!base && !spec.defaultApiBase) problems.push(["api_base", `is required for ${spec.name} (the server's URL, e.g. https://host/v1)`]);
  if (base && !/^https?:\/\/[^/]/.test(base)) problems.push(["api_base", `"${base}" is not an http(s) URL`]);
  if (params && spec.keyRequired && !apiKeyOf(spec, params) && !hasAuthHeader(params.headers)) {
    problems.push(["api_key", `is required for ${spec.name}${spec.apiKeyEnv ? ` (or set ${spec.apiKeyEnv})` : ""}`]);
  }
  return problems;
}

/** The key as the spec sends it; none without a key, so a configured Authorization (e.g. an Entra ID token) may authenticate instead. */
function authHeader(spec: OpenAiWireSpec, apiKey: string): Record<string, string> {
  if (!apiKey) return {};
  return spec.auth === "bearer" ? { authorization: `Bearer ${apiKey}` } : { "api-key": apiKey };
}

function hasAuthHeader(headers: Record<string, string>): boolean {
  return Object.keys(headers).some((name) => /^(authorization|api-key)$/i.test(name));
}


import { toJson, type JsonObject, type JsonValue } from "@bufbuild/protobuf";
import { createHash } from "node:crypto";
import {
  CompletionRequestSchema,
  ResponseFormatType,
  ToolChoiceMode,
  type CompletionRequest,
  type EmbeddingRequest,
  type ImageGenerationRequest,
  type ModerationRequest,
  type RequestOptions,
} from "../../gen/ts/switchyard/v1/inference_pb.js";
import { invalidField } from "../errors/gateway-error.js";
import { shown } from "../util/cap.js";
import type { CachedCallType } from "../config/resolved.js";

/** Namespaces become key (and object name) segments, so they are kept to a safe alphabet. */
const NAMESPACE_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
/** The partition of requests that name none. */
export const DEFAULT_NAMESPACE = "default";

export type { CachedCallType } from "../config/resolved.js";

export function isValidNamespace(namespace: string): boolean {
  return NAMESPACE_PATTERN.test(namespace);
}

/** The request's namespace, or INVALID_ARGUMENT naming the field. */
export function requestNamespace(namespace: string | undefined): string {
  if (!namespace) return DEFAULT_NAMESPACE;
  if (!isValidNamespace(namespace)) {
    throw invalidField("options.cache.namespace", `${shown(namespace)} must be 1-64 letters, digits, ".", "_" or "-"`);
  }
  return namespace;
}

/**
 * Builds keys of the form `[<config namespace>/]<request namespace>/<call type>/<sha256>`,
 * so one namespace is one key prefix in every layer (deletable by prefix).
 */
export class CacheKeys {
  constructor(private readonly configNamespace: string) {}

  /** Every key of one request namespace starts with this. */
  namespacePrefix(namespace: string): string {
    return `${this.configNamespace ? `${this.configNamespace}/` : ""}${namespace}/`;
  }

  completion(request: CompletionRequest, namespace: string): string {
    return this.key(namespace, "completion", canonicalCompletion(request));
  }

  /** One key per input text: a batch shares items with any other batch. */
  embeddingItem(request: EmbeddingRequest, input: string, namespace: string): string {
    return this.key(namespace, "embedding", withAnswerOptions({ model: request.model, dimensions: request.dimensions ?? null, input }, request));
  }

  moderation(request: ModerationRequest, namespace: string): string {
    return this.key(namespace, "moderation", withAnswerOptions({ model: request.model, input: request.input }, request));
  }

  imageGeneration(request: ImageGenerationRequest, namespace: string): string {
    const { model, prompt, n, size, quality, style } = request;
    return this.key(namespace, "image_generation", withAnswerOptions({ model, prompt, n: n ?? 1, size, quality, style }, request));
  }

  private key(namespace: string, type: CachedCallType, canonical: JsonValue): string {
    const digest = createHash("sha256").update(type).update("\n").update(stableStringify(canonical)).digest("hex");
    return `${this.namespacePrefix(namespace)}${type}/${digest}`;
  }
}

/**
 * options.provider_options reaches the upstream body, so it changes the
 * answer and is part of the key (sorted by stableStringify like the rest).
 * options.tags choose which deployments may answer (a group's tagged
 * deployments can be other models or regions), so they are too, as a
 * sorted set. Each is left out when empty, so requests without them keep
 * their keys.
 */
function withAnswerOptions(canonical: JsonObject, request: { options?: RequestOptions }): JsonObject {
  const providerOptions = request.options?.providerOptions;
  const tags = tagSet(request.options);
  if (tags) canonical = { ...canonical, tags };
  if (!providerOptions || Object.keys(providerOptions).length === 0) return canonical;
  return { ...canonical, providerOptions };
}

/** The request's routing tags, sorted and without repeats (the same set routes the same way); undefined when none. */
function tagSet(options: RequestOptions | undefined): string[] | undefined {
  if (!options || options.tags.length === 0) return undefined;
  return [...new Set(options.tags)].sort();
}

/**
 * The parts of a completion request that change the answer, with
 * "spelled-out defaults" folded into "unset": who asks (user, metadata)
 * and how the gateway handles it (the rest of options) are left out;
 * provider_options, which reaches the upstream body, is kept. Edits the JSON
 * form rather than a clone of the message: the same canonical JSON (so the
 * same keys as before) without a deep copy of every request.
 */
function canonicalCompletion(request: CompletionRequest): JsonValue {
  const json = toJson(CompletionRequestSchema, request) as JsonObject;
  delete json.user;
  delete json.metadata;
  const providerOptions = (json.options as JsonObject | undefined)?.providerOptions as JsonObject | undefined;
  if (providerOptions && Object.keys(providerOptions).length > 0) json.options = { providerOptions };
  else delete json.options;
  const tags = tagSet(request.options);
  if (tags) json.tags = tags;
  if (request.n === 1) delete json.n;
  const format = request.responseFormat;
  if (format && !format.jsonSchema && (format.type === ResponseFormatType.UNSPECIFIED || format.type === ResponseFormatType.TEXT)) {
    delete json.responseFormat;
  }
  const choice = request.toolChoice?.choice;
  if (choice && (choice.case === undefined || (choice.case === "mode" && choice.value === ToolChoiceMode.UNSPECIFIED))) {
    delete json.toolChoice;
  }
  const messages = json.messages as JsonObject[] | undefined;
  request.messages.forEach((message, i) => {
    // A single text part and plain content are the same message.
    const only = message.parts.length === 1 ? message.parts[0]!.part : undefined;
    // (Not when the part carries a cache breakpoint: that changes the upstream request.)
    if (!message.content && only?.case === "text" && !message.parts[0]!.cacheBreakpoint) {
      const out = messages![i]!;
      delete out.parts;
      if (only.value) out.content = only.value;
      else delete out.content;
    }
  });
  return json;
}

/** JSON with object keys sorted at every depth: Struct fields (tool schemas) arrive in any order. */
export function stableStringify(value: JsonValue): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(",")}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${stableStringify(value[k] as JsonValue)}`).join(",")}}`;
}

import { clone, toJson, type DescMessage, type JsonValue, type MessageShape } from "@bufbuild/protobuf";
import { createHash } from "node:crypto";
import {
  CompletionRequestSchema,
  ResponseFormatType,
  ToolChoiceMode,
  type CompletionRequest,
  type EmbeddingRequest,
  type ImageGenerationRequest,
  type ModerationRequest,
} from "../../gen/ts/switchyard/v1/inference_pb.js";
import { invalidField } from "../errors/gateway-error.js";

/** Namespaces become key (and object name) segments, so they are kept to a safe alphabet. */
const NAMESPACE_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
/** The partition of requests that name none. */
export const DEFAULT_NAMESPACE = "default";

export type CachedCallType = "completion" | "embedding" | "moderation" | "image_generation";

export function isValidNamespace(namespace: string): boolean {
  return NAMESPACE_PATTERN.test(namespace);
}

/** The request's namespace, or INVALID_ARGUMENT naming the field. */
export function requestNamespace(namespace: string | undefined): string {
  if (!namespace) return DEFAULT_NAMESPACE;
  if (!isValidNamespace(namespace)) {
    throw invalidField("options.cache.namespace", `"${namespace}" must be 1-64 letters, digits, ".", "_" or "-"`);
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
    return this.key(namespace, "embedding", { model: request.model, dimensions: request.dimensions ?? null, input });
  }

  moderation(request: ModerationRequest, namespace: string): string {
    return this.key(namespace, "moderation", { model: request.model, input: request.input });
  }

  imageGeneration(request: ImageGenerationRequest, namespace: string): string {
    const { model, prompt, n, size, quality, style } = request;
    return this.key(namespace, "image_generation", { model, prompt, n: n ?? 1, size, quality, style });
  }

  private key(namespace: string, type: CachedCallType, canonical: JsonValue): string {
    const digest = createHash("sha256").update(type).update("\n").update(stableStringify(canonical)).digest("hex");
    return `${this.namespacePrefix(namespace)}${type}/${digest}`;
  }
}

/**
 * The parts of a completion request that change the answer, with
 * "spelled-out defaults" folded into "unset": who asks (user, metadata)
 * and how the gateway handles it (options) are left out.
 */
function canonicalCompletion(request: CompletionRequest): JsonValue {
  const canonical = clone(CompletionRequestSchema, request);
  canonical.user = "";
  canonical.metadata = {};
  canonical.options = undefined;
  if (canonical.n === 1) canonical.n = undefined;
  const format = canonical.responseFormat;
  if (format && !format.jsonSchema && (format.type === ResponseFormatType.UNSPECIFIED || format.type === ResponseFormatType.TEXT)) {
    canonical.responseFormat = undefined;
  }
  const choice = canonical.toolChoice?.choice;
  if (choice && (choice.case === undefined || (choice.case === "mode" && choice.value === ToolChoiceMode.UNSPECIFIED))) {
    canonical.toolChoice = undefined;
  }
  for (const message of canonical.messages) {
    // A single text part and plain content are the same message.
    const only = message.parts.length === 1 ? message.parts[0]!.part : undefined;
    // (Not when the part carries a cache breakpoint: that changes the upstream request.)
    if (!message.content && only?.case === "text" && !message.parts[0]!.cacheBreakpoint) {
      message.content = only.value;
      message.parts = [];
    }
  }
  return jsonOf(CompletionRequestSchema, canonical);
}

function jsonOf<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>): JsonValue {
  return toJson(schema, message);
}

/** JSON with object keys sorted at every depth: Struct fields (tool schemas) arrive in any order. */
export function stableStringify(value: JsonValue): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(",")}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${stableStringify(value[k] as JsonValue)}`).join(",")}}`;
}

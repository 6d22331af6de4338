import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { InferenceService, ListModelsResponseSchema } from "../../gen/ts/switchyard/v1/inference_pb.js";
import { newRequestContext, type RequestContext } from "../router/request-context.js";
import { authIdentityKey, unbilledSpendKey } from "../auth/interceptor.js";
import type { HandlerContext } from "@connectrpc/connect";
import { kRequestObserver } from "../observability/context-keys.js";
import type { InferenceBackend } from "../router/inference-backend.js";
import type { ProviderOptionsGuard } from "../providers/owned-fields.js";
import type { RequestLimits } from "../config/resolve.js";
import {
  validateCompletionRequest,
  validateEmbeddingRequest,
  validateImageGenerationRequest,
  validateModerationRequest,
} from "./validate-request.js";

/**
 * The InferenceService: validate (including that provider_options sets
 * no field the unified API owns, before any routing), then hand to the
 * backend (the router, or the cache in front of it) with the call's
 * AbortSignal (client cancel and deadline). Errors are mapped to status
 * codes by the error interceptor, not here.
 */
/** What the service checks requests against before routing. */
export interface RequestChecks {
  guard: ProviderOptionsGuard;
  limits: RequestLimits;
}

export function inferenceService(backend: InferenceBackend, { guard, limits }: RequestChecks): ServiceImpl<typeof InferenceService> {
  return {
    async complete(request, context) {
      const ctx = requestContext(context, request.options);
      validateCompletionRequest(request, limits);
      guard.check("completion", request.options?.providerOptions);
      return backend.complete(request, ctx);
    },
    // Not a generator of its own: connect iterates the backend's stream directly,
    // one async-generator layer less per chunk. A validation error still reaches the client as the
    // call's error (connect invokes this inside its own async handler).
    streamComplete(request, context) {
      const ctx = requestContext(context, request.options);
      validateCompletionRequest(request, limits);
      guard.check("completion", request.options?.providerOptions);
      return backend.stream(request, ctx);
    },
    async embed(request, context) {
      const ctx = requestContext(context, request.options);
      validateEmbeddingRequest(request, limits);
      guard.check("embedding", request.options?.providerOptions);
      return backend.embed(request, ctx);
    },
    async generateImage(request, context) {
      const ctx = requestContext(context, request.options);
      validateImageGenerationRequest(request, limits);
      guard.check("image", request.options?.providerOptions);
      return backend.generateImage(request, ctx);
    },
    async moderate(request, context) {
      const ctx = requestContext(context, request.options);
      validateModerationRequest(request, limits);
      guard.check("moderation", request.options?.providerOptions);
      return backend.moderate(request, ctx);
    },
    listModels(_request, context) {
      // A key limited to some model groups sees only those.
      const allowed = context.values.get(authIdentityKey)?.models ?? [];
      const models = backend.listModels();
      return create(ListModelsResponseSchema, { models: allowed.length === 0 ? models : models.filter((m) => allowed.includes(m.name)) });
    },
  };
}

/**
 * The router's view of a call: its signal, the observer the observability
 * interceptor left and the key's allowed groups. Also caps the request's
 * options.priority at the key's max_priority, so no caller queues its
 * requests ahead of others' beyond what its key allows.
 */
function requestContext(context: HandlerContext, options: { priority?: number } | undefined): RequestContext {
  const identity = context.values.get(authIdentityKey);
  if (identity && options?.priority !== undefined && options.priority > identity.maxPriority) options.priority = identity.maxPriority;
  return newRequestContext(context.signal, context.values.get(kRequestObserver), Date.now(), identity?.models, identity?.keyId, context.values.get(unbilledSpendKey));
}

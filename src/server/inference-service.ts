import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { InferenceService, ListModelsResponseSchema } from "../../gen/ts/switchyard/v1/inference_pb.js";
import type { HandlerContext } from "@connectrpc/connect";
import { kRequestObserver } from "../observability/context-keys.js";
import { newRequestContext, type RequestContext } from "../router/request-context.js";
import type { InferenceBackend } from "../cache/index.js";
import {
  validateCompletionRequest,
  validateEmbeddingRequest,
  validateImageGenerationRequest,
  validateModerationRequest,
} from "./validate-request.js";

/**
 * The InferenceService: validate, then hand to the router (or the cache
 * in front of it) with the call's AbortSignal (client cancel and
 * deadline). Errors are mapped to status codes by the error interceptor,
 * not here.
 */
export function inferenceService(router: InferenceBackend): ServiceImpl<typeof InferenceService> {
  return {
    async complete(request, context) {
      const ctx = requestContext(context);
      validateCompletionRequest(request);
      return router.complete(request, ctx);
    },
    async *streamComplete(request, context) {
      const ctx = requestContext(context);
      validateCompletionRequest(request);
      yield* router.stream(request, ctx);
    },
    async embed(request, context) {
      const ctx = requestContext(context);
      validateEmbeddingRequest(request);
      return router.embed(request, ctx);
    },
    async generateImage(request, context) {
      const ctx = requestContext(context);
      validateImageGenerationRequest(request);
      return router.generateImage(request, ctx);
    },
    async moderate(request, context) {
      const ctx = requestContext(context);
      validateModerationRequest(request);
      return router.moderate(request, ctx);
    },
    listModels() {
      return create(ListModelsResponseSchema, { models: router.listModels() });
    },
  };
}

/** The router's view of a call: its signal and the observer the observability interceptor left in its context. */
function requestContext(context: HandlerContext): RequestContext {
  return newRequestContext(context.signal, context.values.get(kRequestObserver));
}

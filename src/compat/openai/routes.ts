import type { HttpRoute } from "../../server/http-routes.js";
import { compatRoute, type CompatDeps } from "../http/route.js";
import { sendJson, startSse, writeSse } from "../http/io.js";
import { toHttpError } from "../http/error-status.js";
import { chatRequestFromWire } from "./chat-request.js";
import { chatChunksToWire, chatCompletionToWire } from "./chat-response.js";
import { gatewayHeaders } from "../http/gateway-headers.js";
import { openaiErrorBody } from "./errors.js";
import { embeddingRequestFromWire, embeddingsToWire, imageRequestFromWire, imagesToWire, moderationRequestFromWire, moderationToWire, modelsToWire } from "./endpoints.js";
import { responsesRoute } from "./responses/route.js";

/** The OpenAI-shaped endpoints, all translating onto the InferenceService. */
export function openaiRoutes(deps: CompatDeps): HttpRoute[] {
  const route = (method: "GET" | "POST", path: string, handle: Parameters<typeof compatRoute>[4]) => compatRoute(method, path, deps, openaiErrorBody, handle);
  return [
    route("POST", "/v1/chat/completions", async ({ body, res, callOptions }) => {
      const call = chatRequestFromWire(body);
      if (!call.stream) {
        const answer = await deps.client.complete(call.request, callOptions);
        sendJson(res, 200, chatCompletionToWire(answer), gatewayHeaders(answer));
        return;
      }
      const chunks = deps.client.streamComplete(call.request, callOptions)[Symbol.asyncIterator]();
      // A failure before the first chunk is still an HTTP error status the SDK raises as its exception class.
      let next = await chunks.next();
      startSse(res);
      try {
        while (!next.done) {
          for (const event of chatChunksToWire(next.value, call.includeUsage, call.request.model)) writeSse(res, event);
          next = await chunks.next();
        }
        writeSse(res, "[DONE]");
      } catch (err) {
        // Mid-stream: the status is already sent; OpenAI's SDKs raise an `error` event as an APIError.
        writeSse(res, openaiErrorBody(toHttpError(err)));
      }
      res.end();
    }),
    route("GET", "/v1/models", async ({ res, callOptions }) => {
      sendJson(res, 200, modelsToWire(await deps.client.listModels({}, callOptions)));
    }),
    route("POST", "/v1/embeddings", async ({ body, res, callOptions }) => {
      const call = embeddingRequestFromWire(body);
      const answer = await deps.client.embed(call.request, callOptions);
      sendJson(res, 200, embeddingsToWire(answer, call.base64), gatewayHeaders(answer));
    }),
    route("POST", "/v1/images/generations", async ({ body, res, callOptions }) => {
      const answer = await deps.client.generateImage(imageRequestFromWire(body), callOptions);
      sendJson(res, 200, imagesToWire(answer), gatewayHeaders(answer));
    }),
    route("POST", "/v1/moderations", async ({ body, res, callOptions }) => {
      const answer = await deps.client.moderate(moderationRequestFromWire(body), callOptions);
      sendJson(res, 200, moderationToWire(answer), gatewayHeaders({ ...answer, costUsd: 0 }));
    }),
    responsesRoute(deps, route),
  ];
}

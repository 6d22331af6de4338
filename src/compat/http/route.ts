import type { CallOptions, Client } from "@connectrpc/connect";
import type { InferenceService } from "../../../gen/ts/switchyard/v1/inference_pb.js";
import type { Logger } from "../../observability/logger.js";
import type { HttpRequest, HttpResponse, HttpRoute } from "../../server/http-routes.js";
import { retryHeaders, toHttpError, type HttpError } from "./error-status.js";
import { assignRequestId, callHeaders, clientGone, readJsonBody, sendJson } from "./io.js";

/** What every compatible surface needs: the in-process InferenceService client. */
export interface CompatDeps {
  client: Client<typeof InferenceService>;
  maxRequestBytes: number;
  logger: Logger;
}

/** One call on a compatible surface: the parsed body and the options for the service call. */
export interface CompatCall {
  req: HttpRequest;
  res: HttpResponse;
  body: Record<string, unknown>;
  requestId: string;
  callOptions: CallOptions;
}

/** How a surface words an error (OpenAI's and Anthropic's bodies differ). */
export type ErrorBody = (error: HttpError) => unknown;

/**
 * The frame every compatible endpoint shares: request id on the response,
 * JSON body (GET has none), call headers and cancellation for the service
 * call, and any failure before the answer started answered in the
 * surface's own error shape with the taxonomy's HTTP status.
 */
export function compatRoute(
  method: "GET" | "POST",
  path: string,
  deps: CompatDeps,
  errorBody: ErrorBody,
  handle: (call: CompatCall) => Promise<void>,
): HttpRoute {
  return {
    method,
    path,
    async handle(req, res) {
      const requestId = assignRequestId(req, res);
      try {
        const body = method === "POST" ? await readJsonBody(req, deps.maxRequestBytes) : {};
        await handle({ req, res, body, requestId, callOptions: { headers: callHeaders(req, requestId), signal: clientGone(res) } });
      } catch (err) {
        const error = toHttpError(err);
        if (error.status >= 500) deps.logger.warn({ path, requestId, kind: error.kind, err: error.message }, "compatible-surface call failed");
        if (res.headersSent) {
          res.end();
          return;
        }
        sendJson(res, error.status, errorBody(error), retryHeaders(error));
      }
    },
  };
}

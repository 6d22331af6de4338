import { createClient, type Transport } from "@connectrpc/connect";
import { InferenceService } from "../../gen/ts/switchyard/v1/inference_pb.js";
import type { Logger } from "../observability/logger.js";
import type { HttpRoute } from "../server/http-routes.js";
import { anthropicRoutes } from "./anthropic/routes.js";
import { openaiRoutes } from "./openai/routes.js";

/**
 * The OpenAI- and Anthropic-shaped HTTP endpoints. They are translators
 * only: every call goes to the InferenceService through `transport` (the
 * server's own routes and interceptors, in process), so routing, cache,
 * auth and limits are the gRPC path's, not a copy.
 */
export function compatHttpRoutes(options: { transport: Transport; maxRequestBytes: number; logger: Logger }): HttpRoute[] {
  const deps = { client: createClient(InferenceService, options.transport), maxRequestBytes: options.maxRequestBytes, logger: options.logger };
  return [...openaiRoutes(deps), ...anthropicRoutes(deps)];
}

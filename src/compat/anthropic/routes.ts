import type { HttpRoute } from "../../server/http-routes.js";
import { estimatePromptTokens } from "../../util/tokens.js";
import { toHttpError } from "../http/error-status.js";
import { sendJson, startSse, writeSse } from "../http/io.js";
import { compatRoute, type CompatDeps } from "../http/route.js";
import { gatewayHeaders } from "../http/gateway-headers.js";
import { anthropicErrorBody } from "./errors.js";
import { messagesRequestFromWire } from "./messages-request.js";
import { MessageStreamTranslator, messageToWire } from "./messages-response.js";

/** The Anthropic Messages API, translated onto the InferenceService. */
export function anthropicRoutes(deps: CompatDeps): HttpRoute[] {
  return [
    compatRoute("POST", "/v1/messages", deps, anthropicErrorBody, async ({ body, res, requestId, callOptions }) => {
      // Anthropic's SDKs read the request id from `request-id`.
      res.setHeader("request-id", requestId);
      const call = messagesRequestFromWire(body);
      if (!call.stream) {
        const answer = await deps.client.complete(call.request, callOptions);
        sendJson(res, 200, messageToWire(answer), gatewayHeaders(answer));
        return;
      }
      const chunks = deps.client.streamComplete(call.request, callOptions)[Symbol.asyncIterator]();
      let next = await chunks.next();
      const translator = new MessageStreamTranslator(call.request.model);
      startSse(res);
      try {
        while (!next.done) {
          for (const e of translator.push(next.value)) writeSse(res, e.data, e.event);
          next = await chunks.next();
        }
        for (const e of translator.end()) writeSse(res, e.data, e.event);
      } catch (err) {
        writeSse(res, anthropicErrorBody(toHttpError(err)), "error");
      }
      res.end();
    }),
    compatRoute("POST", "/v1/messages/count_tokens", deps, anthropicErrorBody, async ({ body, res, requestId }) => {
      res.setHeader("request-id", requestId);
      // The gateway's estimate (about four characters a token), not the provider's tokenizer.
      const call = messagesRequestFromWire(body, { requireMaxTokens: false });
      sendJson(res, 200, { input_tokens: estimatePromptTokens(call.request) });
    }),
  ];
}

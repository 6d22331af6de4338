import type { HttpRoute } from "../../../server/http-routes.js";
import { toHttpError } from "../../http/error-status.js";
import { sendJson, startSse, writeSse } from "../../http/io.js";
import type { CompatCall, CompatDeps } from "../../http/route.js";
import { gatewayHeaders } from "../../http/gateway-headers.js";
import { openaiErrorBody } from "../errors.js";
import { responsesRequestFromWire } from "./request.js";
import { ResponsesStreamTranslator, responseToWire } from "./response.js";

type RouteMaker = (method: "GET" | "POST", path: string, handle: (call: CompatCall) => Promise<void>) => HttpRoute;

/** POST /v1/responses, stateless: unary, or its streaming event sequence. */
export function responsesRoute(deps: CompatDeps, route: RouteMaker): HttpRoute {
  return route("POST", "/v1/responses", async ({ body, res, callOptions }) => {
    const call = responsesRequestFromWire(body);
    if (!call.stream) {
      const answer = await deps.client.complete(call.request, callOptions);
      sendJson(res, 200, responseToWire(answer, call.echo), gatewayHeaders(answer));
      return;
    }
    const chunks = deps.client.streamComplete(call.request, callOptions)[Symbol.asyncIterator]();
    let next = await chunks.next();
    const translator = new ResponsesStreamTranslator(call.echo);
    startSse(res);
    let sequence = 0;
    try {
      while (!next.done) {
        for (const e of translator.push(next.value)) {
          writeSse(res, e, e.type);
          sequence = e.sequence_number as number;
        }
        next = await chunks.next();
      }
      for (const e of translator.end()) writeSse(res, e, e.type);
    } catch (err) {
      const { error } = openaiErrorBody(toHttpError(err));
      writeSse(res, { type: "error", code: error.code, message: error.message, param: error.param, sequence_number: sequence + 1 }, "error");
    }
    res.end();
  });
}

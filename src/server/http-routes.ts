import type http from "node:http";
import type http2 from "node:http2";

export type HttpRequest = http.IncomingMessage | http2.Http2ServerRequest;
export type HttpResponse = http.ServerResponse | http2.Http2ServerResponse;
export type HttpHandler = (req: HttpRequest, res: HttpResponse) => void;

/** A plain-HTTP endpoint served beside the RPC services; returns true when it took the request. */
export type HttpRoute = (req: HttpRequest, res: HttpResponse) => boolean;

/**
 * The handler with extra HTTP routes in front (e.g. GET /metrics), tried
 * in order; anything no route takes goes to `fallback` (the Connect
 * handler). Routes must decide synchronously, from method and path.
 */
export function withHttpRoutes(fallback: HttpHandler, routes: readonly HttpRoute[]): HttpHandler {
  if (routes.length === 0) return fallback;
  return (req, res) => {
    for (const route of routes) if (route(req, res)) return;
    fallback(req, res);
  };
}

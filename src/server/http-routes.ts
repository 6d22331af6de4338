import type http from "node:http";
import type http2 from "node:http2";

export type HttpRequest = http.IncomingMessage | http2.Http2ServerRequest;
export type HttpResponse = http.ServerResponse | http2.Http2ServerResponse;
export type HttpHandler = (req: HttpRequest, res: HttpResponse) => void;

/** A plain-HTTP endpoint served beside the Connect handler on the same port. */
export interface HttpRoute {
  method: string;
  /** Exact path, without the query string. */
  path: string;
  handle(req: HttpRequest, res: HttpResponse): void | Promise<void>;
}

/**
 * Puts an ordered list of plain-HTTP routes in front of `fallback` (the
 * Connect handler): the first route whose method and path match answers;
 * every other request goes to `fallback` untouched. Connect's own paths
 * (`/switchyard.v1.InferenceService/...`) never collide with these.
 */
export function withHttpRoutes(routes: readonly HttpRoute[], fallback: HttpHandler): HttpHandler {
  if (routes.length === 0) return fallback;
  const byKey = new Map<string, HttpRoute>();
  for (const route of routes) {
    const key = `${route.method} ${route.path}`;
    if (!byKey.has(key)) byKey.set(key, route);
  }
  return (req, res) => {
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const route = byKey.get(`${req.method} ${q < 0 ? url : url.slice(0, q)}`);
    if (!route) return fallback(req, res);
    Promise.resolve()
      .then(() => route.handle(req, res))
      .catch(() => {
        // Routes answer their own errors; this is the last guard against a bug leaving a socket hanging.
        if (!res.headersSent) writeHead(res, 500);
        res.end();
      });
  };
}

/**
 * writeHead on either server's response. The HTTP/1.1 and HTTP/2 overloads
 * differ, so TypeScript cannot call it on the union; both accept this form.
 */
export function writeHead(res: HttpResponse, status: number, headers: Record<string, string> = {}): void {
  (res as http.ServerResponse).writeHead(status, headers);
}

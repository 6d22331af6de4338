import { randomUUID } from "node:crypto";
import { writeHead, type HttpRequest, type HttpResponse } from "../../server/http-routes.js";

/** Request headers the compatible surfaces pass on to the service as call headers (auth, tracing, request id). */
const FORWARDED_HEADERS = ["authorization", "x-api-key", "traceparent", "tracestate", "x-request-id"] as const;

/** A body the surface could not read as JSON; answered as a 400 in the surface's own error shape. */
export class BadJsonBody extends Error {
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/** Reads and parses a JSON object body, refusing more than `maxBytes`. */
export async function readJsonBody(req: HttpRequest, maxBytes: number): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw new BadJsonBody(`request body is larger than ${maxBytes} bytes`, 413);
    chunks.push(chunk);
  }
  let body: unknown;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new BadJsonBody("request body is not valid JSON");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new BadJsonBody("request body must be a JSON object");
  return body as Record<string, unknown>;
}

/**
 * The request id of this HTTP call (the caller's x-request-id, or a new
 * one), set on the response at once so every answer carries it, errors too.
 */
export function assignRequestId(req: HttpRequest, res: HttpResponse): string {
  const given = req.headers["x-request-id"];
  const id = typeof given === "string" && given.length > 0 && given.length <= 200 ? given : randomUUID();
  res.setHeader("x-request-id", id);
  return id;
}

/** The call headers for the in-process service call: what auth, tracing and request-id interceptors read. */
export function callHeaders(req: HttpRequest, requestId: string): Headers {
  const headers = new Headers();
  for (const name of FORWARDED_HEADERS) {
    const value = req.headers[name];
    if (typeof value === "string") headers.set(name, value);
  }
  headers.set("x-request-id", requestId);
  return headers;
}

/** An AbortSignal that fires when the HTTP client goes away before the answer is complete. */
export function clientGone(res: HttpResponse): AbortSignal {
  const controller = new AbortController();
  res.once("close", () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}

export function sendJson(res: HttpResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  writeHead(res, status, { ...headers, "content-type": "application/json", "content-length": String(Buffer.byteLength(text)) });
  res.end(text);
}

/** Starts a server-sent-events answer. */
export function startSse(res: HttpResponse): void {
  writeHead(res, 200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  // Send each event as it is written rather than waiting for Nagle or a full buffer.
  (res as { flushHeaders?: () => void }).flushHeaders?.();
}

/** One SSE event: `event:` line when named (Anthropic, Responses), then `data:`. */
export function writeSse(res: HttpResponse, data: unknown, event?: string): void {
  const payload = typeof data === "string" ? data : JSON.stringify(data);
  (res as NodeJS.WritableStream).write(event ? `event: ${event}\ndata: ${payload}\n\n` : `data: ${payload}\n\n`);
}

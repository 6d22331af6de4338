import http from "node:http";
import type { AddressInfo } from "node:net";
import { completionBody, errorBody, streamEventGroups, summarizeChatRequest, type MockAnswerSpec } from "./wire.js";

export interface MockUpstreamOptions {
  /** Delay before the unary answer or the first streamed event, ms. */
  latencyMs: number;
  /** Delay between streamed event groups, ms. */
  chunkDelayMs: number;
  answer: MockAnswerSpec;
}

/**
 * An OpenAI-compatible upstream for benchmarks: `POST /v1/chat/completions`
 * (unary and SSE) and `GET /v1/models`, with a fixed latency and chunk
 * cadence. It does as little as it can per request (one small JSON.parse, one
 * JSON.stringify) so the system under test, not the upstream, is what the
 * numbers measure; the harness samples its CPU to prove that.
 */
export function createMockUpstream(options: MockUpstreamOptions): http.Server {
  let sequence = 0;
  const server = http.createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method === "GET" && (path === "/v1/models" || path === "/models")) {
      send(res, 200, JSON.stringify({ object: "list", data: [{ id: "gpt-4o-mini", object: "model", created: 0, owned_by: "bench" }] }));
      return;
    }
    if (req.method === "GET" && path === "/health") {
      send(res, 200, '{"status":"ok"}');
      return;
    }
    if (req.method !== "POST" || !(path === "/v1/chat/completions" || path === "/chat/completions")) {
      send(res, 404, errorBody(`no route for ${req.method} ${path}`, "invalid_request_error", "not_found"));
      return;
    }
    const parts: Buffer[] = [];
    req.on("data", (part: Buffer) => parts.push(part));
    req.on("end", () => {
      let summary;
      try {
        summary = summarizeChatRequest(JSON.parse(Buffer.concat(parts).toString("utf8")));
      } catch (err) {
        send(res, 400, errorBody((err as Error).message));
        return;
      }
      const id = `chatcmpl-bench${++sequence}`;
      const created = Math.floor(Date.now() / 1000);
      if (!summary.stream) {
        const body = completionBody(id, created, summary, options.answer);
        setTimeout(() => send(res, 200, body), options.latencyMs);
        return;
      }
      const groups = streamEventGroups(id, created, summary, options.answer);
      let next = 0;
      const writeNext = () => {
        if (res.destroyed) return;
        if (next === 0) res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
        res.write(groups[next++]);
        if (next === groups.length) res.end();
        else setTimeout(writeNext, options.chunkDelayMs);
      };
      setTimeout(writeNext, options.latencyMs);
    });
  });
  server.keepAliveTimeout = 120_000;
  server.requestTimeout = 0;
  return server;
}

function send(res: http.ServerResponse, status: number, body: string): void {
  if (res.destroyed) return;
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

export function listen(server: http.Server, port: number, host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}

import { createServer, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/**
 * An OpenAI-wire upstream with faults chosen by path prefix, so one server
 * backs every deployment of the chaos config: `/<fault>/v1/chat/completions`.
 *   ok          answers (JSON, or SSE when stream: true)
 *   flaky5xx    every other request 500, in bursts
 *   ratelimited 429 with retry-after: 1
 *   hang        never answers
 *   reset       destroys the connection on request
 *   cutstream   streams one chunk, then destroys the connection
 *   garbage     200 text/event-stream full of non-JSON
 */
export class ChaosUpstream {
  private readonly sockets = new Set<Socket>();
  private count = 0;

  private constructor(private readonly server: Server) {}

  static async start(): Promise<ChaosUpstream> {
    const server = createServer();
    const upstream = new ChaosUpstream(server);
    server.on("connection", (s) => {
      upstream.sockets.add(s);
      s.on("close", () => upstream.sockets.delete(s));
    });
    server.on("request", (req, res) => {
      const parts: Buffer[] = [];
      req.on("data", (c: Buffer) => parts.push(c));
      req.on("end", () => {
        const fault = (req.url ?? "").split("/")[1] ?? "ok";
        const body = JSON.parse(Buffer.concat(parts).toString("utf8") || "{}") as { stream?: boolean; messages?: Array<{ content: string }> };
        const n = upstream.count++;
        if (fault === "hang") return;
        if (fault === "reset") return req.socket.destroy();
        if (fault === "flaky5xx" && Math.floor(n / 5) % 2 === 0) return json(res, 500, { error: { message: "The server had an error", type: "server_error" } });
        if (fault === "ratelimited") return json(res, 429, { error: { message: "Rate limit reached", type: "requests" } }, { "retry-after": "1" });
        const text = `echo: ${body.messages?.at(-1)?.content ?? ""}`;
        if (!body.stream) return json(res, 200, completion(text));
        res.writeHead(200, { "content-type": "text/event-stream" });
        if (fault === "garbage") {
          res.write("data: {not json at all\n\n");
          res.write("data: \x00\x01\x02\n\n");
          return res.end();
        }
        const words = text.split(" ");
        let i = 0;
        const tick = () => {
          if (res.destroyed) return;
          if (fault === "cutstream" && i === 1) return req.socket.destroy();
          if (i < words.length) {
            res.write(`data: ${JSON.stringify(chunk({ content: (i ? " " : "") + words[i] }, null))}\n\n`);
            i++;
            setTimeout(tick, 2);
            return;
          }
          res.write(`data: ${JSON.stringify(chunk({}, "stop", { prompt_tokens: 5, completion_tokens: words.length, total_tokens: 5 + words.length }))}\n\n`);
          res.end("data: [DONE]\n\n");
        };
        tick();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return upstream;
  }

  base(fault: string): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/${fault}/v1`;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function json(res: import("node:http").ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

function completion(text: string) {
  return {
    id: "chatcmpl-chaos",
    object: "chat.completion",
    created: 1_741_569_952,
    model: "gpt-4o",
    choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: "stop" }],
    usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 },
  };
}

function chunk(delta: Record<string, unknown>, finish: string | null, usage?: Record<string, number>) {
  return { id: "chatcmpl-chaos", object: "chat.completion.chunk", created: 1_741_569_952, model: "gpt-4o", choices: [{ index: 0, delta, finish_reason: finish }], ...(usage ? { usage } : {}) };
}

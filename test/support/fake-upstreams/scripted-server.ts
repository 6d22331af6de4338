import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { within } from "../async.js";

/** How long waitForAbort waits for the client to close its connection: ample for a local socket, far below the runner's timeout. */
const ABORT_BOUND_MS = 5_000;

/** One request the fake upstream received, exactly as sent. */
export interface RecordedRequest {
  method: string;
  /** Path and query. */
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The body parsed as JSON. */
  json(): any;
}

/** How the fake answers one request. */
export type Reply = (req: RecordedRequest, res: ServerResponse) => void | Promise<void>;

/**
 * A real HTTP server on 127.0.0.1 that answers each request with the next
 * scripted reply (or the default) and records what it received. Provider
 * fakes build their wire formats on top of it.
 */
export class ScriptedServer {
  readonly requests: RecordedRequest[] = [];
  private readonly replies: Reply[] = [];
  private readonly sockets = new Set<Socket>();
  private abortWaiters: Array<() => void> = [];
  /** Responses the client abandoned before they were complete. */
  abortedResponses = 0;

  private constructor(
    private readonly server: Server,
    private readonly fallback: Reply,
  ) {}

  static async start(fallback: Reply = (_req, res) => void res.writeHead(500).end("no reply scripted")): Promise<ScriptedServer> {
    const server = createServer();
    const fake = new ScriptedServer(server, fallback);
    server.on("connection", (socket) => {
      fake.sockets.add(socket);
      socket.on("close", () => fake.sockets.delete(socket));
    });
    server.on("request", (req, res) => {
      const parts: Buffer[] = [];
      req.on("data", (c: Buffer) => parts.push(c));
      req.on("end", () => {
        const body = Buffer.concat(parts);
        const recorded: RecordedRequest = {
          method: req.method ?? "",
          path: req.url ?? "",
          headers: req.headers,
          body,
          json: () => JSON.parse(body.toString("utf8")),
        };
        fake.requests.push(recorded);
        res.on("close", () => {
          if (!res.writableFinished) {
            fake.abortedResponses++;
            for (const wake of fake.abortWaiters.splice(0)) wake();
          }
        });
        const reply = fake.replies.shift() ?? fake.fallback;
        Promise.resolve(reply(recorded, res)).catch((err) => res.destroy(err as Error));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Queues replies for the next requests, in order. */
  enqueue(...replies: Reply[]): this {
    this.replies.push(...replies);
    return this;
  }

  /** Forgets recorded requests and unused scripted replies, so one test's leftovers never answer the next. */
  reset(): void {
    this.requests.length = 0;
    this.replies.length = 0;
  }

  get lastRequest(): RecordedRequest {
    const last = this.requests[this.requests.length - 1];
    if (!last) throw new Error("the fake upstream has received no request");
    return last;
  }

  /**
   * Resolves once more than `seen` responses were abandoned unfinished by
   * the client (it aborted the upstream request); rejects, saying so, if
   * that has not happened within `boundMs`: a cancellation that never
   * reaches the upstream fails the test instead of hanging it.
   */
  waitForAbort(seen = 0, boundMs = ABORT_BOUND_MS): Promise<void> {
    const closed = (async () => {
      while (this.abortedResponses <= seen) await new Promise<void>((resolve) => this.abortWaiters.push(resolve));
    })();
    const bounded = within(closed, boundMs, `the fake upstream at ${this.url} seeing its connection closed by the client`);
    // Callers take the promise before acting; if the test fails before awaiting it, its rejection is not a second, stray error.
    bounded.catch(() => undefined);
    return bounded;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export function jsonReply(status: number, body: unknown, headers: Record<string, string> = {}): Reply {
  return (_req, res) => {
    res.writeHead(status, { "content-type": "application/json", ...headers });
    res.end(JSON.stringify(body));
  };
}

export interface StreamScript {
  contentType: string;
  /** Written one by one, each a separate write (and TCP segment in practice). */
  pieces: Array<string | Uint8Array>;
  /** After the pieces: end cleanly (default), drop the connection, or keep it open. */
  ending?: "end" | "cut" | "hang";
  headers?: Record<string, string>;
}

/** A streamed 200 answer written piece by piece with a turn of the event loop between pieces. */
export function streamReply(script: StreamScript): Reply {
  return async (_req, res) => {
    res.writeHead(200, { "content-type": script.contentType, ...script.headers });
    res.flushHeaders();
    for (const piece of script.pieces) {
      if (res.destroyed) return;
      res.write(piece);
      await new Promise((resolve) => setImmediate(resolve));
    }
    const ending = script.ending ?? "end";
    if (ending === "end") res.end();
    else if (ending === "cut") res.socket?.destroy();
  };
}

/** SSE wire text of one event. */
export function sseEvent(data: unknown, event?: string): string {
  return `${event ? `event: ${event}\n` : ""}data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`;
}

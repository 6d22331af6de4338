import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import tls from "node:tls";
import { systemClock, type Clock } from "../util/clock.js";

type Handler = (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) => void;

/** The first bytes of every HTTP/2 prior-knowledge connection. */
const H2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

/**
 * One TCP port for both HTTP/2 cleartext (gRPC, `buf curl
 * --http2-prior-knowledge`) and HTTP/1.1 (Connect JSON, gRPC-Web,
 * curl). Node's h2c server cannot fall back to HTTP/1.1 by itself, so we
 * peek at each connection's first bytes and hand it to the right server.
 *
 * With TLS the protocol is negotiated instead (ALPN: "h2" or
 * "http/1.1"), so the same one port serves all protocols encrypted.
 *
 * Also tracks in-flight requests and open connections, for graceful
 * shutdown.
 */
export class DualProtocolServer {
  private readonly tcp: net.Server | tls.Server;
  private readonly h1: http.Server;
  private readonly h2: http2.Http2Server;
  private readonly sockets = new Set<net.Socket>();
  private readonly sessions = new Set<http2.Http2Session>();
  private inFlight = 0;
  private draining = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    handler: Handler,
    private readonly clock: Clock = systemClock,
    tlsOptions?: tls.TlsOptions,
  ) {
    const tracked: Handler = (req, res) => {
      this.inFlight++;
      if (this.draining && "setHeader" in res && req.httpVersionMajor === 1) res.setHeader("connection", "close");
      res.once("close", () => {
        this.inFlight--;
        if (this.inFlight === 0) this.notifyIdle();
      });
      handler(req, res);
    };
    this.h1 = http.createServer(tracked as http.RequestListener);
    // Streams may be long-lived; the default HTTP/1.1 timeouts would cut them.
    this.h1.requestTimeout = 0;
    this.h1.keepAliveTimeout = 65_000;
    this.h2 = http2.createServer({}, tracked as (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void);
    this.h2.on("session", (session) => {
      this.sessions.add(session);
      session.once("close", () => this.sessions.delete(session));
      if (this.draining) session.close();
    });
    this.tcp = tlsOptions
      ? tls.createServer(tlsOptions, (socket) => this.routeTls(socket))
      : net.createServer((socket) => this.route(socket));
    // A failed handshake (e.g. mTLS without a client certificate) is the client's problem, not the server's.
    this.tcp.on("tlsClientError", (_err, socket) => socket.destroy());
  }

  get inFlightRequests(): number {
    return this.inFlight;
  }

  listen(port: number, host: string, options: { reusePort?: boolean } = {}): Promise<number> {
    return new Promise((resolve, reject) => {
      this.tcp.once("error", reject);
      this.tcp.listen({ port, host, reusePort: options.reusePort }, () => {
        this.tcp.off("error", reject);
        resolve((this.tcp.address() as net.AddressInfo).port);
      });
    });
  }

  private routeTls(socket: tls.TLSSocket): void {
    this.sockets.add(socket);
    socket.once("close", () => this.sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    // Clients without ALPN (old HTTP/1.1 tools) get HTTP/1.1.
    (socket.alpnProtocol === "h2" ? this.h2 : this.h1).emit("connection", socket);
  }

  private route(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.once("close", () => this.sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const n = Math.min(head.length, H2_PREFACE.length);
      const isH2 = head.subarray(0, n).equals(H2_PREFACE.subarray(0, n));
      if (isH2 && n < H2_PREFACE.length) return; // a partial preface: wait for more bytes
      socket.off("data", onData);
      socket.pause();
      // Put the bytes back; both servers read a socket's buffered data before its handle.
      socket.unshift(head);
      (isH2 ? this.h2 : this.h1).emit("connection", socket);
      if (!isH2) socket.resume();
    };
    socket.on("data", onData);
  }

  /**
   * Stops accepting connections and asks clients to go away: HTTP/2
   * sessions get GOAWAY (open streams continue), idle HTTP/1.1
   * connections close. Resolves when no request is in flight or after
   * `graceMs`, whichever is first; returns how many were still running.
   */
  async drain(graceMs: number): Promise<number> {
    this.draining = true;
    this.tcp.close();
    for (const session of this.sessions) session.close();
    this.h1.closeIdleConnections();
    if (this.inFlight > 0) {
      const graceOver = new AbortController();
      const idle = new Promise<void>((resolve) => this.idleWaiters.push(resolve));
      await Promise.race([idle, this.clock.sleep(graceMs, graceOver.signal).catch(() => undefined)]);
      graceOver.abort();
    }
    return this.inFlight;
  }

  /** Cuts every remaining connection. */
  destroy(): void {
    for (const session of this.sessions) session.destroy();
    for (const socket of this.sockets) socket.destroy();
    this.tcp.close();
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}

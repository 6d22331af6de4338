import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import tls from "node:tls";
import { systemClock, type Clock, type TimerHandle } from "../util/clock.js";
import { DEFAULT_CONNECTION_LIMITS, type ConnectionLimits } from "../config/resolve.js";

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
 * shutdown, and bounds what an idle or half-open connection may hold:
 * a connection must complete its first request (HTTP/1.1 headers, or the
 * HTTP/2 preface and a first stream) within first_request_timeout_ms,
 * HTTP/1.1 keep-alive and HTTP/2 sessions without streams are closed after
 * their idle timeouts, and at most max_connections are open at once.
 * These timers run on real time, not the injected clock: they guard OS
 * resources, and a test's fake clock jumping ahead must not cut
 * connections.
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
  /** Connections that have not completed a first request yet, with the timer that closes them. */
  private readonly awaitingFirstRequest = new Map<net.Socket, TimerHandle>();
  /** The socket being handed to the HTTP/2 server, while it creates the session. */
  private handingOverToH2?: net.Socket;
  /** Sockets owned by HTTP/2 sessions: closed through their session, not ended directly. */
  private readonly h2Sockets = new WeakSet<net.Socket>();

  constructor(
    handler: Handler,
    private readonly clock: Clock = systemClock,
    private readonly limits: ConnectionLimits = DEFAULT_CONNECTION_LIMITS,
    tlsOptions?: tls.TlsOptions,
  ) {
    const tracked: Handler = (req, res) => {
      if ("socket" in req && req.socket) this.firstRequestArrived(req.socket);
      this.inFlight++;
      if (this.draining && "setHeader" in res && req.httpVersionMajor === 1) res.setHeader("connection", "close");
      res.once("close", () => {
        this.inFlight--;
        if (this.inFlight === 0) this.notifyIdle();
      });
      handler(req, res);
    };
    // Headers of later requests on a keep-alive connection are bounded by
    // headersTimeout, checked every connectionsCheckingInterval.
    this.h1 = http.createServer({ connectionsCheckingInterval: Math.min(1_000, limits.firstRequestTimeoutMs) }, tracked as http.RequestListener);
    // Streams may be long-lived; a whole-request timeout would cut them.
    this.h1.requestTimeout = 0;
    this.h1.headersTimeout = limits.firstRequestTimeoutMs;
    this.h1.keepAliveTimeout = limits.http1IdleTimeoutMs;
    this.h2 = http2.createServer({}, tracked as (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void);
    this.h2.on("session", (session) => this.trackSession(session));
    this.tcp = tlsOptions
      ? tls.createServer(tlsOptions, (socket) => this.routeTls(socket))
      : net.createServer((socket) => this.route(socket));
    // A failed handshake (e.g. mTLS without a client certificate) is the client's problem, not the server's.
    this.tcp.on("tlsClientError", (_err, socket) => socket.destroy());
    this.tcp.maxConnections = limits.maxConnections;
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
    this.track(socket);
    // Clients without ALPN (old HTTP/1.1 tools) get HTTP/1.1.
    if (socket.alpnProtocol === "h2") {
      this.handingOverToH2 = socket;
      this.h2Sockets.add(socket);
      this.h2.emit("connection", socket);
      this.handingOverToH2 = undefined;
    } else this.h1.emit("connection", socket);
  }

  /** Counts a new connection and gives it first_request_timeout_ms to complete its first request. */
  private track(socket: net.Socket): void {
    this.sockets.add(socket);
    // What http.createServer does for the sockets it accepts itself (noDelay), but not for sockets handed to it:
    // without it, Nagle holds each small SSE event back until the client's delayed ACK (tens of ms per chunk).
    socket.setNoDelay(true);
    this.awaitingFirstRequest.set(
      socket,
      systemClock.setTimer(this.limits.firstRequestTimeoutMs, () => socket.destroy()),
    );
    socket.once("close", () => {
      this.sockets.delete(socket);
      this.firstRequestArrived(socket);
    });
    socket.on("error", () => socket.destroy());
  }

  /** Open client connections (for tests and the chaos suite). */
  get openConnections(): number {
    return this.sockets.size;
  }

  private route(socket: net.Socket): void {
    this.track(socket);
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
      if (isH2) {
        this.handingOverToH2 = socket;
        this.h2Sockets.add(socket);
        this.h2.emit("connection", socket);
        this.handingOverToH2 = undefined;
      } else this.h1.emit("connection", socket);
      if (!isH2) socket.resume();
    };
    socket.on("data", onData);
  }

  private firstRequestArrived(socket: net.Socket): void {
    this.awaitingFirstRequest.get(socket)?.cancel();
    this.awaitingFirstRequest.delete(socket);
  }

  /** An HTTP/2 session: its first stream completes the first request; without open streams it may idle only so long. */
  private trackSession(session: http2.Http2Session): void {
    this.sessions.add(session);
    // route() hands the socket over synchronously, and the session is created within that call.
    const socket = this.handingOverToH2;
    let open = 0;
    let idle: TimerHandle | undefined;
    const armIdle = () => {
      idle = systemClock.setTimer(this.limits.http2IdleTimeoutMs, () => session.close());
    };
    session.on("stream", (stream: http2.ServerHttp2Stream) => {
      if (socket) this.firstRequestArrived(socket);
      idle?.cancel();
      idle = undefined;
      open++;
      stream.once("close", () => {
        if (--open === 0 && !session.closed && !session.destroyed) armIdle();
      });
    });
    session.once("close", () => {
      idle?.cancel();
      this.sessions.delete(session);
    });
    if (this.draining) session.close();
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

  /**
   * Closes every connection without losing bytes already written: HTTP/2
   * sessions close gracefully (GOAWAY, then the socket once their streams
   * are done), HTTP/1.1 sockets end (flush, then FIN). Whatever is still
   * open after `flushMs` (a client not reading) is cut. Cutting at once
   * could drop the last frames of a stream that had just finished, and the
   * client would see a reset instead of its trailers.
   */
  async close(flushMs: number): Promise<void> {
    this.tcp.close();
    for (const session of this.sessions) session.close();
    for (const socket of this.sockets) if (!this.isH2Socket(socket)) socket.end();
    if (this.sockets.size > 0) {
      const allClosed = Promise.all([...this.sockets].map((s) => new Promise<void>((resolve) => s.once("close", () => resolve()))));
      let timer: TimerHandle | undefined;
      await Promise.race([allClosed, new Promise<void>((resolve) => (timer = systemClock.setTimer(flushMs, resolve)))]);
      timer?.cancel();
    }
    this.destroy();
  }

  private isH2Socket(socket: net.Socket): boolean {
    return this.h2Sockets.has(socket);
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

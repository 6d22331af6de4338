import { Pool, errors as undiciErrors, type Dispatcher } from "undici";
import { ErrorKind, GatewayError } from "../../errors/gateway-error.js";

export interface UpstreamRequest {
  method?: "GET" | "POST" | "DELETE";
  /** Path and query, appended to the base URL's path. */
  path: string;
  headers?: Record<string, string>;
  /** Serialized body (JSON text or bytes). */
  body?: string | Uint8Array;
  signal: AbortSignal;
}

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Dispatcher.ResponseData["body"];
}

/**
 * One keep-alive connection pool per provider base URL, created once when
 * the config is resolved and shared by every request to that upstream.
 * Network failures come out as GatewayError (UPSTREAM_UNAVAILABLE or
 * TIMEOUT); HTTP error statuses are returned for the adapter to map.
 */
export class UpstreamClient {
  private readonly pool: Pool;
  private readonly basePath: string;

  constructor(
    readonly provider: string,
    baseUrl: string,
    options: { connections?: number; headersTimeoutMs?: number } = {},
  ) {
    const url = new URL(baseUrl);
    this.basePath = url.pathname.replace(/\/$/, "");
    this.pool = new Pool(url.origin, {
      connections: options.connections ?? 128,
      keepAliveTimeout: 30_000,
      // Deadlines are enforced by the caller's AbortSignal, not by undici's timers.
      headersTimeout: options.headersTimeoutMs ?? 0,
      bodyTimeout: 0,
    });
  }

  async request(req: UpstreamRequest): Promise<UpstreamResponse> {
    try {
      const res = await this.pool.request({
        method: req.method ?? "POST",
        path: this.basePath + req.path,
        headers: req.headers,
        body: req.body,
        signal: req.signal,
      });
      return { status: res.statusCode, headers: res.headers, body: res.body };
    } catch (err) {
      throw this.networkError(err, req.signal);
    }
  }

  /** Reads a whole response body as text, mapping mid-body failures. */
  async text(res: UpstreamResponse, signal: AbortSignal): Promise<string> {
    try {
      return await res.body.text();
    } catch (err) {
      throw this.networkError(err, signal);
    }
  }

  networkError(err: unknown, signal: AbortSignal): unknown {
    if (signal.aborted) return signal.reason ?? err; // the caller's cancel/deadline wins
    if (err instanceof GatewayError) return err;
    if (err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.BodyTimeoutError) {
      return new GatewayError(ErrorKind.TIMEOUT, `${this.provider}: upstream timed out`, { provider: this.provider, cause: err });
    }
    const code = (err as { code?: string }).code ?? "";
    return new GatewayError(ErrorKind.UPSTREAM_UNAVAILABLE, `${this.provider}: upstream connection failed (${code || (err as Error).message})`, {
      provider: this.provider,
      cause: err,
    });
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

import { Pool, errors as undiciErrors, type Dispatcher } from "undici";
import { ErrorKind, GatewayError } from "../../errors/gateway-error.js";
import { withTraceContext } from "../../observability/trace-context.js";

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

/** Pools by origin and options, shared by every deployment that calls the same upstream, closed with the last user. */
const sharedPools = new Map<string, { pool: Pool; users: number }>();

function acquirePool(origin: string, connections: number, headersTimeout: number): { pool: Pool; release(): Promise<void> } {
  const key = `${origin}|${connections}|${headersTimeout}`;
  let entry = sharedPools.get(key);
  if (!entry) {
    entry = {
      pool: new Pool(origin, {
        connections,
        keepAliveTimeout: 30_000,
        // Deadlines are enforced by the caller's AbortSignal, not by undici's timers.
        headersTimeout,
        bodyTimeout: 0,
      }),
      users: 0,
    };
    sharedPools.set(key, entry);
  }
  entry.users++;
  const held = entry;
  let released = false;
  return {
    pool: held.pool,
    release: async () => {
      if (released) return;
      released = true;
      if (--held.users > 0) return;
      sharedPools.delete(key);
      await held.pool.close();
    },
  };
}

/**
 * A client for one provider base URL. Its keep-alive connection pool is
 * created once when the config is resolved and shared by every request,
 * and by every other deployment calling the same origin (ten deployments
 * of one upstream use one pool, not ten).
 * Network failures come out as GatewayError (UPSTREAM_UNAVAILABLE or
 * TIMEOUT); HTTP error statuses are returned for UpstreamApi to map.
 */
export class UpstreamClient {
  private readonly pool: Pool;
  private readonly releasePool: () => Promise<void>;
  private readonly basePath: string;

  constructor(
    readonly provider: string,
    baseUrl: string,
    options: { connections?: number; headersTimeoutMs?: number } = {},
  ) {
    const url = new URL(baseUrl);
    this.basePath = url.pathname.replace(/\/$/, "");
    const shared = acquirePool(url.origin, options.connections ?? 128, options.headersTimeoutMs ?? 0);
    this.pool = shared.pool;
    this.releasePool = shared.release;
  }

  async request(req: UpstreamRequest): Promise<UpstreamResponse> {
    try {
      const res = await this.pool.request({
        method: req.method ?? "POST",
        path: this.basePath + req.path,
        headers: withTraceContext(req.headers),
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
    return this.releasePool();
  }
}

import { readJsonBody, bodyChunks } from "./body.js";
import { secretsOf, upstreamHeaders } from "./headers.js";
import { upstreamHttpError, type ErrorBodyParser } from "./http-errors.js";
import { UpstreamClient, type UpstreamResponse } from "./upstream-client.js";

/** Adds the last headers a request needs from its final path and body (Bedrock: the SigV4 signature). */
export type RequestSigner = (request: { path: string; headers: Record<string, string>; body: string }) => Promise<Record<string, string>>;

export interface UpstreamApiOptions {
  /** Provider name for errors, e.g. "anthropic". */
  provider: string;
  baseUrl: string;
  /** The deployment's params.headers. */
  configuredHeaders?: Readonly<Record<string, string>>;
  /** Auth and protocol headers the adapter sends; they win over configured ones (see headers.ts). */
  ownedHeaders: Readonly<Record<string, string | undefined>>;
  /** Names that may not come from config because the adapter adds them later (signing). */
  reservedHeaders?: readonly string[];
  /** The deployment's credentials (key, secret, token), masked in every error text. */
  credentials: ReadonlyArray<string | undefined>;
  /** This provider's reading of its error bodies. */
  parseErrorBody: ErrorBodyParser;
  sign?: RequestSigner;
}

/**
 * One provider HTTP API as every adapter calls it: the same header
 * precedence, the same secret masking, and one post → status check →
 * taxonomy error path for unary and streamed calls. Adapters keep only
 * their wire translation and their error-body parser.
 */
export class UpstreamApi {
  readonly provider: string;
  /** Headers sent on every request (before `accept` and any signature). */
  readonly headers: Readonly<Record<string, string>>;
  /** Values masked in every error message, including errors raised inside streams. */
  readonly secrets: readonly string[];
  private readonly client: UpstreamClient;

  constructor(private readonly options: UpstreamApiOptions) {
    this.provider = options.provider;
    this.client = new UpstreamClient(options.provider, options.baseUrl);
    this.headers = upstreamHeaders(options.configuredHeaders, options.ownedHeaders, options.reservedHeaders);
    this.secrets = secretsOf(options.credentials, this.headers);
  }

  /** POSTs a JSON body; returns a 2xx answer, throws anything else as the taxonomy error with the provider's (masked) message. */
  async post(path: string, body: unknown, signal: AbortSignal, accept = "application/json"): Promise<UpstreamResponse> {
    const text = JSON.stringify(body);
    const headers = { ...this.headers, accept };
    const sent = this.options.sign ? await this.options.sign({ path, headers, body: text }) : headers;
    const res = await this.client.request({ path, headers: sent, body: text, signal });
    if (res.status >= 200 && res.status < 300) return res;
    const errorText = await this.client.text(res, signal);
    const parsed = this.options.parseErrorBody(errorText, res.status, res.headers);
    throw upstreamHttpError(this.provider, res.status, parsed.message, res.headers, this.secrets, parsed);
  }

  /** A unary call: the 2xx answer's JSON body. */
  async postJson(path: string, body: unknown, signal: AbortSignal): Promise<unknown> {
    return this.readJson(await this.post(path, body, signal), signal);
  }

  /** Reads a 2xx answer's body as JSON (BAD_RESPONSE if it is not). */
  readJson(res: UpstreamResponse, signal: AbortSignal): Promise<unknown> {
    return readJsonBody(this.client, res, signal, this.secrets);
  }

  /**
   * A streamed call: `decode` turns the answer's bytes into chunks. The
   * upstream request is released however the stream ends (done, failed,
   * or stopped early by the consumer), even when a decoder does not pass
   * an early stop on to its source.
   */
  async *postStream<T>(
    path: string,
    body: unknown,
    signal: AbortSignal,
    accept: string,
    decode: (bytes: AsyncIterable<Uint8Array>, res: UpstreamResponse) => AsyncIterable<T>,
  ): AsyncGenerator<T> {
    const res = await this.post(path, body, signal, accept);
    try {
      yield* decode(bodyChunks(this.client, res, signal), res);
    } finally {
      if (!res.body.readableEnded) res.body.destroy();
    }
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

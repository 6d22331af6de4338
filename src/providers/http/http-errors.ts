import { ErrorKind, GatewayError } from "../../errors/gateway-error.js";
import { redactSecrets } from "../../util/redact.js";

/** Default status → kind table; providers refine 400s (context window, content policy) by message. */
const KIND_BY_STATUS: Record<number, ErrorKind> = {
  400: ErrorKind.INVALID_REQUEST,
  401: ErrorKind.AUTHENTICATION,
  403: ErrorKind.PERMISSION_DENIED,
  404: ErrorKind.NOT_FOUND,
  408: ErrorKind.TIMEOUT,
  409: ErrorKind.UPSTREAM_UNAVAILABLE,
  413: ErrorKind.PAYLOAD_TOO_LARGE,
  422: ErrorKind.INVALID_REQUEST,
  429: ErrorKind.RATE_LIMITED,
  529: ErrorKind.UPSTREAM_UNAVAILABLE, // Anthropic "overloaded"
};

const CONTEXT_WINDOW_PATTERNS = [
  /context[_ ]length/i,
  /context window/i,
  /maximum context/i,
  /prompt is too long/i,
  /too many tokens/i,
  /input is too long/i,
  /exceeds the (maximum|max) (number of )?tokens/i,
];
const CONTENT_POLICY_PATTERNS = [/content[_ ]policy/i, /content[_ ]filter/i, /safety/i, /responsible ?ai/i];

export function kindForStatus(status: number, message: string): ErrorKind {
  if (status === 400 || status === 413 || status === 422) {
    if (CONTEXT_WINDOW_PATTERNS.some((p) => p.test(message))) return ErrorKind.CONTEXT_WINDOW_EXCEEDED;
    if (CONTENT_POLICY_PATTERNS.some((p) => p.test(message))) return ErrorKind.CONTENT_POLICY;
  }
  return KIND_BY_STATUS[status] ?? (status >= 500 ? ErrorKind.UPSTREAM_UNAVAILABLE : ErrorKind.INVALID_REQUEST);
}

/** Retry-After as seconds or an HTTP date, plus the `retry-after-ms` some providers send; in ms. */
export function retryAfterMs(headers: Record<string, string | string[] | undefined>, now = Date.now()): number | undefined {
  const first = (name: string) => {
    const v = headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const ms = first("retry-after-ms");
  if (ms !== undefined && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const value = first("retry-after");
  if (value === undefined) return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.round(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** What a provider's error body says beyond its message. */
export interface UpstreamErrorHints {
  /** The kind the provider names outright (e.g. Bedrock's error type, Anthropic's timeout_error); status and message are then not consulted. */
  kind?: ErrorKind;
  /** The provider's machine-readable error code (e.g. OpenAI's "context_length_exceeded"); matched like the message. */
  code?: string;
  /** A wait the provider signalled some other way (e.g. x-ratelimit-reset-* headers); used when no Retry-After header is present, ms. */
  retryAfterMs?: number;
}

/**
 * The GatewayError for an upstream HTTP error answer: kind from status
 * and message, the provider's own message kept (redacted), retry-after kept.
 */
export function upstreamHttpError(
  provider: string,
  status: number,
  providerMessage: string,
  headers: Record<string, string | string[] | undefined> = {},
  secrets: readonly string[] = [],
  hints: UpstreamErrorHints = {},
): GatewayError {
  const message = redactSecrets(providerMessage || `HTTP ${status}`, secrets);
  const kind = hints.kind ?? kindForStatus(status, hints.code ? `${hints.code} ${message}` : message);
  return new GatewayError(kind, `${provider}: ${message}`, {
    httpStatus: status,
    provider,
    retryAfterMs: retryAfterMs(headers) ?? hints.retryAfterMs,
  });
}

/**
 * The GatewayError for an error event inside a 200 stream: no HTTP status
 * or retry headers, so `impliedStatus` is the status the provider documents
 * for that error type; message masked and kind chosen as for an HTTP answer.
 */
export function upstreamStreamError(provider: string, impliedStatus: number, body: ProviderErrorBody, secrets: readonly string[]): GatewayError {
  const message = redactSecrets(body.message || "error event in stream", secrets);
  const kind = body.kind ?? kindForStatus(impliedStatus, body.code ? `${body.code} ${message}` : message);
  return new GatewayError(kind, `${provider}: ${message}`, { provider });
}

/** One provider's reading of its error body: the message to pass on, plus what else it says. */
export interface ProviderErrorBody extends UpstreamErrorHints {
  message: string;
}

/**
 * The one provider-specific step of error mapping: parse this provider's
 * error body. Everything else (status → kind, masking, retry-after) is
 * shared, in upstreamHttpError.
 */
export type ErrorBodyParser = (bodyText: string, status: number, headers: Record<string, string | string[] | undefined>) => ProviderErrorBody;

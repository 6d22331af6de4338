import { ErrorKind, type GatewayError } from "../../errors/gateway-error.js";
import { upstreamStreamError, type ErrorBodyParser } from "../http/http-errors.js";

/** Anthropic's error body: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}. */
interface AnthropicErrorBody {
  type?: string;
  error?: { type?: string; message?: string };
}

/**
 * The HTTP status each error type is documented with
 * (https://docs.anthropic.com/en/api/errors). Mid-stream `error` events
 * carry only the type, so this gives them the same kind an HTTP answer would.
 */
const STATUS_BY_TYPE: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

function parseError(text: string): { type: string; message: string } {
  try {
    const body = JSON.parse(text) as AnthropicErrorBody;
    return { type: body.error?.type ?? "", message: body.error?.message ?? text };
  } catch {
    return { type: "", message: text };
  }
}

function describe(type: string, message: string): string {
  return type ? `${type}: ${message}` : message;
}

/** Anthropic's error body as the shared error path wants it; 504 timeout_error is the upstream giving up on the model: a timeout, not a generic 5xx. */
export const parseAnthropicError: ErrorBodyParser = (bodyText) => {
  const { type, message } = parseError(bodyText);
  return { message: describe(type, message), kind: type === "timeout_error" ? ErrorKind.TIMEOUT : undefined };
};

/** The GatewayError for an `event: error` inside a 200 stream (e.g. overloaded_error mid-answer). */
export function anthropicStreamError(data: string, secrets: readonly string[]): GatewayError {
  const status = STATUS_BY_TYPE[parseError(data).type] ?? 500;
  return upstreamStreamError("anthropic", status, parseAnthropicError(data, status, {}), secrets);
}

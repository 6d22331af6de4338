import type { HttpError } from "../http/error-status.js";

/** Anthropic's error `type` per HTTP status, from its errors reference. */
function errorType(status: number): string {
  switch (status) {
    case 400:
      return "invalid_request_error";
    case 401:
      return "authentication_error";
    case 403:
      return "permission_error";
    case 404:
      return "not_found_error";
    case 413:
      return "request_too_large";
    case 429:
      return "rate_limit_error";
    case 504:
      return "timeout_error";
    case 503:
    case 529:
      return "overloaded_error";
    default:
      return status >= 500 ? "api_error" : "invalid_request_error";
  }
}

/** `{"type":"error","error":{"type","message"}}`: what the Anthropic SDKs parse into their exception classes. */
export function anthropicErrorBody(error: HttpError) {
  return { type: "error", error: { type: errorType(error.status), message: error.message } };
}

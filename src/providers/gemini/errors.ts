import { ErrorKind, type GatewayError } from "../../errors/gateway-error.js";
import { upstreamHttpError, type ErrorBodyParser } from "../http/http-errors.js";

/** Google's error body: {"error":{"code":400,"message":"…","status":"INVALID_ARGUMENT","details":[…]}}. */
interface GoogleErrorBody {
  error?: { code?: number; message?: string; status?: string; details?: Array<{ reason?: string }> };
}

function parse(text: string): { status: string; message: string; reasons: string[] } {
  try {
    const body = JSON.parse(text) as GoogleErrorBody;
    return {
      status: body.error?.status ?? "",
      message: body.error?.message ?? text,
      reasons: (body.error?.details ?? []).flatMap((d) => (d.reason ? [d.reason] : [])),
    };
  } catch {
    return { status: "", message: text, reasons: [] };
  }
}

/**
 * Google's error body as the shared error path wants it. Google answers a
 * bad API key with 400 INVALID_ARGUMENT (reason API_KEY_INVALID), and a
 * deadline with 504 DEADLINE_EXCEEDED; both name their kind here, the rest
 * follow the status.
 */
export const parseGeminiError: ErrorBodyParser = (bodyText) => {
  const error = parse(bodyText);
  const kind =
    error.reasons.includes("API_KEY_INVALID") || /API key not valid/i.test(error.message)
      ? ErrorKind.AUTHENTICATION
      : error.status === "DEADLINE_EXCEEDED"
        ? ErrorKind.TIMEOUT
        : undefined;
  return { message: error.status ? `${error.status}: ${error.message}` : error.message, kind };
};

/** An error object sent inside an SSE stream instead of a candidate. */
export function geminiStreamError(error: unknown, secrets: readonly string[]): GatewayError {
  const code = (error as { code?: number }).code ?? 500;
  const parsed = parseGeminiError(JSON.stringify({ error }), code, {});
  return upstreamHttpError("gemini", code, parsed.message, {}, secrets, parsed);
}

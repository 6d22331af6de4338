import { ErrorKind, GatewayError } from "../../errors/gateway-error.js";
import { redactSecrets } from "../../util/redact.js";
import { upstreamHttpError } from "../http/http-errors.js";

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
 * The GatewayError for a non-2xx answer. Google answers a bad API key with
 * 400 INVALID_ARGUMENT (reason API_KEY_INVALID), and a deadline with 504
 * DEADLINE_EXCEEDED; both are refined here, the rest follow the status.
 */
export function geminiHttpError(
  status: number,
  bodyText: string,
  headers: Record<string, string | string[] | undefined>,
  secrets: readonly string[],
): GatewayError {
  const error = parse(bodyText);
  const text = error.status ? `${error.status}: ${error.message}` : error.message;
  const special =
    error.reasons.includes("API_KEY_INVALID") || /API key not valid/i.test(error.message)
      ? ErrorKind.AUTHENTICATION
      : error.status === "DEADLINE_EXCEEDED"
        ? ErrorKind.TIMEOUT
        : undefined;
  if (special !== undefined) {
    return new GatewayError(special, `gemini: ${redactSecrets(text, secrets)}`, { httpStatus: status, provider: "gemini" });
  }
  return upstreamHttpError("gemini", status, text, headers, secrets);
}

/** An error object sent inside an SSE stream instead of a candidate. */
export function geminiStreamError(error: unknown, secrets: readonly string[]): GatewayError {
  const code = (error as { code?: number }).code ?? 500;
  return geminiHttpError(code, JSON.stringify({ error }), {}, secrets);
}

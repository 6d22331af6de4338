import type { GatewayError } from "../../errors/gateway-error.js";
import { upstreamStreamError, type ErrorBodyParser } from "../http/http-errors.js";
import type { WireErrorBody } from "./wire.js";

type Headers = Record<string, string | string[] | undefined>;

/** The message and code of an OpenAI-style error body, or of whatever a compatible server sent instead. */
export function describeErrorBody(text: string): { message: string; code?: string } {
  let body: WireErrorBody;
  try {
    body = JSON.parse(text) as WireErrorBody;
  } catch {
    return { message: text.trim().slice(0, 500) };
  }
  if (body === null || typeof body !== "object") return { message: text.trim().slice(0, 500) };
  const error = body.error;
  if (typeof error === "string") return { message: error };
  if (error && typeof error === "object") {
    // Azure's content filter puts the decisive code in innererror (ResponsibleAIPolicyViolation).
    const codes = [error.code, error.type, error.innererror?.code].filter((c) => c !== undefined && c !== null && c !== "");
    return { message: error.message ?? "", code: codes.length > 0 ? codes.join(" ") : undefined };
  }
  if (typeof body.message === "string") return { message: body.message };
  if (body.detail !== undefined) return { message: typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail) };
  return { message: text.trim().slice(0, 500) };
}

/** An OpenAI-wire error answer as the shared error path wants it: message, code, and the rate-limit reset as the wait. */
export const parseOpenAiError: ErrorBodyParser = (text, _status, headers) => ({ ...describeErrorBody(text), retryAfterMs: rateLimitResetMs(headers) });

/**
 * An `{"error": {...}}` object sent inside a 200 stream. There is no HTTP
 * status to go by, so the error's type or code picks the kind the same
 * HTTP status would.
 */
export function streamErrorFromEvent(provider: string, payload: WireErrorBody, secrets: readonly string[]): GatewayError {
  const body = describeErrorBody(JSON.stringify(payload));
  return upstreamStreamError(provider, statusImpliedBy(`${body.code ?? ""} ${body.message}`, payload), body, secrets);
}

function statusImpliedBy(text: string, payload: WireErrorBody): number {
  const error = typeof payload.error === "object" ? payload.error : undefined;
  const explicit = Number((error as { status?: unknown } | undefined)?.status ?? error?.code);
  if (Number.isInteger(explicit) && explicit >= 400 && explicit < 600) return explicit;
  if (/rate.?limit|quota/i.test(text)) return 429;
  if (/authentication|api.?key/i.test(text)) return 401;
  if (/invalid.?request|context.?length|content.?filter/i.test(text)) return 400;
  return 500;
}

/**
 * OpenAI (and Groq) announce when an exhausted limit resets in
 * x-ratelimit-reset-requests / -tokens, as Go-style durations ("1s",
 * "6m0s", "20ms"); when no Retry-After is sent, the reset of whichever
 * limit is at zero is the wait.
 * https://platform.openai.com/docs/guides/rate-limits#rate-limits-in-headers
 */
export function rateLimitResetMs(headers: Headers): number | undefined {
  const header = (name: string) => {
    const v = headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const waits: number[] = [];
  for (const limit of ["requests", "tokens"]) {
    if (header(`x-ratelimit-remaining-${limit}`) !== "0") continue;
    const reset = parseDuration(header(`x-ratelimit-reset-${limit}`));
    if (reset !== undefined) waits.push(reset);
  }
  return waits.length > 0 ? Math.max(...waits) : undefined;
}

const DURATION_PART = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };

/** "6m0s" → 360000; undefined when the text is not a duration. */
export function parseDuration(text: string | undefined): number | undefined {
  if (!text || !/^(\d+(\.\d+)?(ms|h|m|s))+$/.test(text.trim())) return undefined;
  let total = 0;
  for (const [, amount, unit] of text.trim().matchAll(DURATION_PART)) total += Number(amount) * UNIT_MS[unit!]!;
  return Math.round(total);
}

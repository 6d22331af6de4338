import { ErrorKind } from "../../gen/ts/switchyard/v1/inference_pb.js";
import type { RouterDefaults } from "../config/resolve.js";
import type { GatewayError } from "../errors/gateway-error.js";
import type { Random } from "../util/random.js";

/** Retrying cannot help: the same prompt is as long everywhere in the group; a cancelled call is unwanted. */
const NEVER_RETRIED: ReadonlySet<ErrorKind> = new Set([
  ErrorKind.CONTEXT_WINDOW_EXCEEDED,
  ErrorKind.CANCELLED,
  ErrorKind.PAYLOAD_TOO_LARGE,
  ErrorKind.NO_DEPLOYMENT_AVAILABLE,
]);

/** The caller's request (or our credentials) is at fault: not retried unless retry_policy asks for it. */
const RETRIED_ONLY_BY_POLICY: ReadonlySet<ErrorKind> = new Set([
  ErrorKind.INVALID_REQUEST,
  ErrorKind.AUTHENTICATION,
  ErrorKind.PERMISSION_DENIED,
  ErrorKind.CONTENT_POLICY,
]);

/**
 * How many retries within a model group a failure of `kind` allows. A
 * request's own num_retries replaces num_retries and retry_policy alike
 * (it still cannot make a never-retried kind retryable).
 */
export function retriesAllowed(kind: ErrorKind, settings: RouterDefaults, requestNumRetries: number | undefined): number {
  if (NEVER_RETRIED.has(kind)) return 0;
  if (requestNumRetries !== undefined) return RETRIED_ONLY_BY_POLICY.has(kind) ? 0 : requestNumRetries;
  const fromPolicy = settings.retryPolicy.get(kind);
  if (fromPolicy !== undefined) return fromPolicy;
  return RETRIED_ONLY_BY_POLICY.has(kind) ? 0 : settings.numRetries;
}

/**
 * Delay before retry number `retryIndex` (0 = first retry): exponential
 * from retry_backoff_ms, capped at max_retry_backoff_ms, with "equal
 * jitter" (half fixed, half random) so instances retrying together spread
 * out. An upstream's retry-after is a floor: we never come back sooner
 * than it asked.
 */
export function backoffMs(retryIndex: number, error: GatewayError, settings: RouterDefaults, random: Random): number {
  const exponential = Math.min(settings.maxRetryBackoffMs, settings.retryBackoffMs * 2 ** retryIndex);
  const jittered = exponential / 2 + random() * (exponential / 2);
  return Math.round(Math.max(jittered, error.retryAfterMs ?? 0));
}

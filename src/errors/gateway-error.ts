import { ErrorKind } from "../../gen/ts/switchyard/v1/inference_pb.js";

export { ErrorKind };

export interface GatewayErrorOptions {
  /** Upstream HTTP status, when the failure came from an HTTP answer. */
  httpStatus?: number;
  /** How long the upstream asked us to wait before retrying, ms. */
  retryAfterMs?: number;
  /** Provider that failed, e.g. "openai". */
  provider?: string;
  /** Request field at fault, for INVALID_ARGUMENT answers. */
  field?: string;
  cause?: unknown;
}

/**
 * The one error type below the server layer. Everything a provider, the
 * router or the cache can fail with is a GatewayError of some `kind`; the
 * server maps kinds to gRPC status codes in one table (status.ts).
 */
export class GatewayError extends Error {
  override readonly name = "GatewayError";
  readonly kind: ErrorKind;
  readonly httpStatus?: number;
  readonly retryAfterMs?: number;
  readonly provider?: string;
  readonly field?: string;

  constructor(kind: ErrorKind, message: string, options: GatewayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = kind;
    this.httpStatus = options.httpStatus;
    this.retryAfterMs = options.retryAfterMs;
    this.provider = options.provider;
    this.field = options.field;
  }
}

/** A request field failed validation; answered as INVALID_ARGUMENT naming the field. */
export function invalidField(field: string, problem: string): GatewayError {
  return new GatewayError(ErrorKind.INVALID_REQUEST, `${field}: ${problem}`, { field });
}

export function isGatewayError(err: unknown): err is GatewayError {
  return err instanceof GatewayError;
}

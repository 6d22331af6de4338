import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorInfoSchema, RetryInfoSchema } from "../../../gen/ts/google/rpc/error_details_pb.js";
import { ErrorKind, ErrorKindSchema } from "../../../gen/ts/switchyard/v1/inference_pb.js";
import { BadJsonBody } from "./io.js";

/** An error as the compatible surfaces answer it: the taxonomy kind, an HTTP status and a retry hint. */
export interface HttpError {
  kind: ErrorKind;
  status: number;
  message: string;
  /** Seconds, for the retry-after header. */
  retryAfterS?: number;
  /** Request field at fault, when known. */
  field?: string;
}

/**
 * The one table from the error taxonomy to HTTP statuses, shared by the
 * OpenAI and Anthropic surfaces (each SDK picks its exception class from
 * the status: 400 BadRequest, 401 Authentication, 404 NotFound, 429
 * RateLimit, 5xx InternalServer/APIError).
 */
const STATUS_BY_KIND: Record<ErrorKind, number> = {
  [ErrorKind.UNSPECIFIED]: 500,
  [ErrorKind.INVALID_REQUEST]: 400,
  [ErrorKind.AUTHENTICATION]: 401,
  [ErrorKind.PERMISSION_DENIED]: 403,
  [ErrorKind.NOT_FOUND]: 404,
  [ErrorKind.RATE_LIMITED]: 429,
  [ErrorKind.CONTEXT_WINDOW_EXCEEDED]: 400,
  [ErrorKind.CONTENT_POLICY]: 400,
  [ErrorKind.TIMEOUT]: 504,
  [ErrorKind.UPSTREAM_UNAVAILABLE]: 503,
  [ErrorKind.BAD_RESPONSE]: 502,
  [ErrorKind.CANCELLED]: 499,
  [ErrorKind.PAYLOAD_TOO_LARGE]: 413,
  [ErrorKind.NO_DEPLOYMENT_AVAILABLE]: 503,
  [ErrorKind.INTERNAL]: 500,
};

/** For a ConnectError without ErrorInfo (an interceptor's own refusal): its code's closest kind. */
const KIND_BY_CODE: Partial<Record<Code, ErrorKind>> = {
  [Code.InvalidArgument]: ErrorKind.INVALID_REQUEST,
  [Code.Unauthenticated]: ErrorKind.AUTHENTICATION,
  [Code.PermissionDenied]: ErrorKind.PERMISSION_DENIED,
  [Code.NotFound]: ErrorKind.NOT_FOUND,
  [Code.ResourceExhausted]: ErrorKind.RATE_LIMITED,
  [Code.DeadlineExceeded]: ErrorKind.TIMEOUT,
  [Code.Unavailable]: ErrorKind.UPSTREAM_UNAVAILABLE,
  [Code.Canceled]: ErrorKind.CANCELLED,
};

export function httpStatusForKind(kind: ErrorKind): number {
  return STATUS_BY_KIND[kind] ?? 500;
}

/** Reads what the service said (ErrorInfo reason, RetryInfo) back into the taxonomy. */
export function toHttpError(err: unknown): HttpError {
  if (err instanceof BadJsonBody) {
    const kind = err.status === 413 ? ErrorKind.PAYLOAD_TOO_LARGE : ErrorKind.INVALID_REQUEST;
    return { kind, status: err.status, message: err.message };
  }
  if (err instanceof InvalidCompatRequest) return { kind: ErrorKind.INVALID_REQUEST, status: 400, message: err.message, field: err.field };
  const ce = ConnectError.from(err);
  const info = ce.findDetails(ErrorInfoSchema)[0];
  const named = info ? ErrorKindSchema.values.find((v) => v.localName === info.reason) : undefined;
  const kind = named ? (named.number as ErrorKind) : (KIND_BY_CODE[ce.code] ?? ErrorKind.INTERNAL);
  const retry = ce.findDetails(RetryInfoSchema)[0]?.retryDelay;
  const retryAfterS = retry ? Math.max(1, Math.ceil(Number(retry.seconds) + retry.nanos / 1e9)) : kind === ErrorKind.RATE_LIMITED ? 1 : undefined;
  return { kind, status: httpStatusForKind(kind), message: ce.rawMessage, retryAfterS };
}

/** A request the surface itself refuses while translating it (a wrong type, an unsupported option). */
export class InvalidCompatRequest extends Error {
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(field ? `${field}: ${message}` : message);
  }
}

export function retryHeaders(error: HttpError): Record<string, string> {
  return error.retryAfterS === undefined ? {} : { "retry-after": String(error.retryAfterS) };
}

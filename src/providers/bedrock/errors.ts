import { ErrorKind, type GatewayError } from "../../errors/gateway-error.js";
import { kindForStatus, upstreamStreamError, type ErrorBodyParser } from "../http/http-errors.js";

/**
 * Bedrock names its errors by type (x-amzn-errortype header, or the
 * :exception-type of a stream event); the type decides the kind
 * (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html#API_runtime_Converse_Errors).
 */
const KIND_BY_TYPE: Record<string, ErrorKind> = {
  ValidationException: ErrorKind.INVALID_REQUEST,
  ThrottlingException: ErrorKind.RATE_LIMITED,
  ServiceQuotaExceededException: ErrorKind.RATE_LIMITED,
  AccessDeniedException: ErrorKind.PERMISSION_DENIED,
  UnrecognizedClientException: ErrorKind.AUTHENTICATION,
  InvalidSignatureException: ErrorKind.AUTHENTICATION,
  IncompleteSignatureException: ErrorKind.AUTHENTICATION,
  MissingAuthenticationTokenException: ErrorKind.AUTHENTICATION,
  ExpiredTokenException: ErrorKind.AUTHENTICATION,
  ResourceNotFoundException: ErrorKind.NOT_FOUND,
  ModelTimeoutException: ErrorKind.TIMEOUT,
  ServiceUnavailableException: ErrorKind.UPSTREAM_UNAVAILABLE,
  InternalServerException: ErrorKind.UPSTREAM_UNAVAILABLE,
  ModelErrorException: ErrorKind.UPSTREAM_UNAVAILABLE,
  ModelNotReadyException: ErrorKind.UPSTREAM_UNAVAILABLE,
  ModelStreamErrorException: ErrorKind.UPSTREAM_UNAVAILABLE,
};

/** "ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/" → "ValidationException"; stream types are camelCase. */
export function errorType(raw: string | undefined): string {
  const name = (raw ?? "").split(":")[0]!.trim();
  return name ? name[0]!.toUpperCase() + name.slice(1) : "";
}

function kindFor(type: string, status: number, message: string): ErrorKind {
  const byType = KIND_BY_TYPE[type];
  // A ValidationException may be a too-long prompt ("Input is too long for requested model.").
  if (byType === ErrorKind.INVALID_REQUEST) return kindForStatus(400, message);
  return byType ?? kindForStatus(status, message);
}

function messageOf(bodyText: string): string {
  try {
    const body = JSON.parse(bodyText) as { message?: string; Message?: string };
    return body.message ?? body.Message ?? bodyText;
  } catch {
    return bodyText;
  }
}

/** Bedrock's error answer as the shared error path wants it: the type (x-amzn-errortype) names the kind and leads the message. */
export const parseBedrockError: ErrorBodyParser = (bodyText, status, headers) => {
  const rawType = headers["x-amzn-errortype"];
  const type = errorType(Array.isArray(rawType) ? rawType[0] : rawType);
  const message = messageOf(bodyText) || `HTTP ${status}`;
  return { message: `${type ? `${type}: ` : ""}${message}`, kind: kindFor(type, status, message) };
};

/** An exception event inside a ConverseStream (e.g. throttlingException, modelStreamErrorException). */
export function bedrockStreamError(rawType: string, bodyText: string, secrets: readonly string[]): GatewayError {
  const type = errorType(rawType);
  const message = messageOf(bodyText);
  return upstreamStreamError("bedrock", 500, { message: `${type}: ${message}`, kind: kindFor(type, 500, message) }, secrets);
}

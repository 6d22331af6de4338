import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  BadRequestSchema,
  BadRequest_FieldViolationSchema,
  ErrorInfoSchema,
  RetryInfoSchema,
} from "../../gen/ts/google/rpc/error_details_pb.js";
import { ErrorKind, ErrorKindSchema } from "../../gen/ts/switchyard/v1/inference_pb.js";
import { GatewayError } from "./gateway-error.js";
import { redactSecrets } from "../util/redact.js";
import { capped } from "../util/cap.js";

export const ERROR_DOMAIN = "switchyard.dev";

/** The one table from the error taxonomy to gRPC status codes. */
const CODE_BY_KIND: Record<ErrorKind, Code> = {
  [ErrorKind.UNSPECIFIED]: Code.Unknown,
  [ErrorKind.INVALID_REQUEST]: Code.InvalidArgument,
  [ErrorKind.AUTHENTICATION]: Code.Unauthenticated,
  [ErrorKind.PERMISSION_DENIED]: Code.PermissionDenied,
  [ErrorKind.NOT_FOUND]: Code.NotFound,
  [ErrorKind.RATE_LIMITED]: Code.ResourceExhausted,
  [ErrorKind.CONTEXT_WINDOW_EXCEEDED]: Code.InvalidArgument,
  [ErrorKind.CONTENT_POLICY]: Code.InvalidArgument,
  [ErrorKind.TIMEOUT]: Code.DeadlineExceeded,
  [ErrorKind.UPSTREAM_UNAVAILABLE]: Code.Unavailable,
  [ErrorKind.BAD_RESPONSE]: Code.Internal,
  [ErrorKind.CANCELLED]: Code.Canceled,
  [ErrorKind.PAYLOAD_TOO_LARGE]: Code.InvalidArgument,
  [ErrorKind.NO_DEPLOYMENT_AVAILABLE]: Code.Unavailable,
  [ErrorKind.INTERNAL]: Code.Internal,
};

export function codeForKind(kind: ErrorKind): Code {
  return CODE_BY_KIND[kind] ?? Code.Unknown;
}

/** "RATE_LIMITED" for ErrorKind.RATE_LIMITED: the ErrorInfo reason. */
export function kindName(kind: ErrorKind): string {
  const value = ErrorKindSchema.values.find((v) => v.number === kind);
  return value ? value.localName : "UNSPECIFIED";
}

/**
 * Converts anything thrown below the server into the ConnectError the
 * client sees: the taxonomy kind picks the code, the provider's message is
 * kept (with secrets redacted), and ErrorInfo/RetryInfo/BadRequest details
 * make it machine-readable.
 */
export function toConnectError(err: unknown): ConnectError {
  if (err instanceof ConnectError) return err;
  if (err instanceof GatewayError) {
    const metadata: Record<string, string> = {};
    if (err.provider) metadata.provider = err.provider;
    if (err.httpStatus !== undefined) metadata.http_status = String(err.httpStatus);
    const details: ConstructorParameters<typeof ConnectError>[3] = [
      { desc: ErrorInfoSchema, value: create(ErrorInfoSchema, { reason: kindName(err.kind), domain: ERROR_DOMAIN, metadata }) },
    ];
    if (err.retryAfterMs !== undefined) {
      const seconds = Math.floor(err.retryAfterMs / 1000);
      details.push({
        desc: RetryInfoSchema,
        value: create(RetryInfoSchema, {
          retryDelay: { seconds: BigInt(seconds), nanos: (err.retryAfterMs % 1000) * 1_000_000 },
        }),
      });
    }
    if (err.field) {
      details.push({
        desc: BadRequestSchema,
        value: create(BadRequestSchema, {
          fieldViolations: [create(BadRequest_FieldViolationSchema, { field: capped(err.field, 256), description: capped(err.message) })],
        }),
      });
    }
    // Capped: a message may repeat a caller's value (or a provider's echo of it).
    return new ConnectError(capped(redactSecrets(err.message)), codeForKind(err.kind), undefined, details, err);
  }
  // Anything else is a gateway bug: say so without leaking internals.
  return new ConnectError("internal gateway error", Code.Internal, undefined, undefined, err);
}

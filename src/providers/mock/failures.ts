import { MockFailure } from "../../../gen/ts/switchyard/v1/config_pb.js";
import { ErrorKind, GatewayError } from "../../errors/gateway-error.js";

/** Each injectable failure as the upstream HTTP answer a real provider would give. */
const FAILURES: Record<MockFailure, { kind: ErrorKind; httpStatus: number; message: string; retryAfterMs?: number }> = {
  [MockFailure.UNSPECIFIED]: { kind: ErrorKind.UPSTREAM_UNAVAILABLE, httpStatus: 503, message: "mock upstream is unavailable" },
  [MockFailure.UPSTREAM_UNAVAILABLE]: { kind: ErrorKind.UPSTREAM_UNAVAILABLE, httpStatus: 503, message: "mock upstream is unavailable" },
  [MockFailure.RATE_LIMITED]: { kind: ErrorKind.RATE_LIMITED, httpStatus: 429, message: "mock rate limit reached", retryAfterMs: 1000 },
  [MockFailure.TIMEOUT]: { kind: ErrorKind.TIMEOUT, httpStatus: 408, message: "mock upstream timed out" },
  [MockFailure.CONTEXT_WINDOW_EXCEEDED]: {
    kind: ErrorKind.CONTEXT_WINDOW_EXCEEDED,
    httpStatus: 400,
    message: "mock: this model's maximum context length was exceeded",
  },
  [MockFailure.CONTENT_POLICY]: { kind: ErrorKind.CONTENT_POLICY, httpStatus: 400, message: "mock: request blocked by content policy" },
  [MockFailure.AUTHENTICATION]: { kind: ErrorKind.AUTHENTICATION, httpStatus: 401, message: "mock: invalid API key" },
};

export function injectedFailure(failure: MockFailure): GatewayError {
  const f = FAILURES[failure] ?? FAILURES[MockFailure.UNSPECIFIED];
  return new GatewayError(f.kind, f.message, { httpStatus: f.httpStatus, retryAfterMs: f.retryAfterMs, provider: "mock" });
}

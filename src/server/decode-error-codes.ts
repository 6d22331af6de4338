import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";

/**
 * connect-es reports two failures to read the request as if they were the
 * server's: a body that is not valid protobuf becomes INTERNAL ("parse
 * binary: ...", HTTP 500 over Connect), and a body over readMaxBytes
 * becomes RESOURCE_EXHAUSTED (HTTP 429 over Connect), which clients and
 * proxies retry. Both are the caller's fault and retrying cannot help, so
 * they leave as INVALID_ARGUMENT (HTTP 400).
 *
 * connect builds these errors inside its protocol handlers, before any
 * interceptor runs, so they are corrected at the one point it exposes for
 * every protocol: each handler aborts the call's context with the error
 * (synchronously) right before it writes the error out, and the request
 * gate, called with that context before the body is read, can listen.
 */
export function decodeErrorCodesGate(maxRequestBytes: number): (context: HandlerContext) => void {
  return (context) => {
    context.signal.addEventListener("abort", () => correct(context.signal.reason, maxRequestBytes), { once: true });
  };
}

function correct(reason: unknown, maxRequestBytes: number): void {
  if (!(reason instanceof ConnectError)) return;
  if (reason.code === Code.Internal && reason.rawMessage.startsWith("parse binary:")) {
    asInvalidArgument(reason, `request is not a valid protobuf message (${reason.rawMessage.slice("parse binary: ".length, 200)})`);
  } else if (reason.code === Code.ResourceExhausted && reason.rawMessage.includes("readMaxBytes")) {
    asInvalidArgument(reason, `request body is larger than server_settings.max_request_bytes (${maxRequestBytes} bytes)`);
  }
}

/** ConnectError's fields are readonly in its types only; the handler reads code and rawMessage after the abort. */
function asInvalidArgument(error: ConnectError, message: string): void {
  const writable = error as { -readonly [K in keyof ConnectError]: ConnectError[K] };
  writable.code = Code.InvalidArgument;
  writable.rawMessage = message;
  writable.message = `[invalid_argument] ${message}`;
}

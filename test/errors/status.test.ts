import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { BadRequestSchema, ErrorInfoSchema, RetryInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { ErrorKind } from "../../gen/ts/switchyard/v1/inference_pb.js";
import { GatewayError, invalidField } from "../../src/errors/gateway-error.js";
import { codeForKind, toConnectError } from "../../src/errors/status.js";
import { redactSecrets } from "../../src/util/redact.js";

describe("error taxonomy → gRPC status", () => {
  it.each([
    [ErrorKind.INVALID_REQUEST, Code.InvalidArgument],
    [ErrorKind.AUTHENTICATION, Code.Unauthenticated],
    [ErrorKind.PERMISSION_DENIED, Code.PermissionDenied],
    [ErrorKind.NOT_FOUND, Code.NotFound],
    [ErrorKind.RATE_LIMITED, Code.ResourceExhausted],
    [ErrorKind.CONTEXT_WINDOW_EXCEEDED, Code.InvalidArgument],
    [ErrorKind.CONTENT_POLICY, Code.InvalidArgument],
    [ErrorKind.TIMEOUT, Code.DeadlineExceeded],
    [ErrorKind.UPSTREAM_UNAVAILABLE, Code.Unavailable],
    [ErrorKind.BAD_RESPONSE, Code.Internal],
    [ErrorKind.CANCELLED, Code.Canceled],
    [ErrorKind.PAYLOAD_TOO_LARGE, Code.InvalidArgument],
    [ErrorKind.NO_DEPLOYMENT_AVAILABLE, Code.Unavailable],
    [ErrorKind.INTERNAL, Code.Internal],
  ])("kind %i maps to code %i", (kind, code) => {
    expect(codeForKind(kind)).toBe(code);
  });

  it("keeps the provider's message and attaches ErrorInfo and RetryInfo", () => {
    const err = toConnectError(
      new GatewayError(ErrorKind.RATE_LIMITED, "openai: Rate limit reached for gpt-4o", { httpStatus: 429, retryAfterMs: 1500, provider: "openai" }),
    );
    expect(err.code).toBe(Code.ResourceExhausted);
    expect(err.rawMessage).toBe("openai: Rate limit reached for gpt-4o");
    const [info] = err.findDetails(ErrorInfoSchema);
    expect(info?.reason).toBe("RATE_LIMITED");
    expect(info?.metadata).toEqual({ provider: "openai", http_status: "429" });
    const [retry] = err.findDetails(RetryInfoSchema);
    expect(retry?.retryDelay?.seconds).toBe(1n);
    expect(retry?.retryDelay?.nanos).toBe(500_000_000);
  });

  it("names the offending field in a BadRequest detail", () => {
    const err = toConnectError(invalidField("messages[1].role", '"robot" is not a role'));
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.findDetails(BadRequestSchema)[0]?.fieldViolations[0]?.field).toBe("messages[1].role");
  });

  it("hides internals of unexpected errors", () => {
    const err = toConnectError(new TypeError("cannot read properties of undefined (secret internals)"));
    expect(err.code).toBe(Code.Internal);
    expect(err.rawMessage).toBe("internal gateway error");
  });

  it("passes ConnectErrors (deadline, cancel) through unchanged", () => {
    const original = new ConnectError("deadline", Code.DeadlineExceeded);
    expect(toConnectError(original)).toBe(original);
  });

  it("redacts secrets from messages", () => {
    const err = toConnectError(
      new GatewayError(ErrorKind.AUTHENTICATION, "Incorrect API key provided: sk-proj-abcdefghijklmnop1234. Bearer abcdefghijklmnop"),
    );
    expect(err.rawMessage).toBe("Incorrect API key provided: [REDACTED]. Bearer [REDACTED]");
  });
});

describe("redactSecrets", () => {
  it("masks known secrets and key-shaped strings but keeps the rest", () => {
    expect(redactSecrets("key AKIAABCDEFGHIJKLMNOP failed", [])).toBe("key [REDACTED] failed");
    expect(redactSecrets("api_key=hunter2hunter2&x=1")).toBe("api_key=[REDACTED]&x=1");
    expect(redactSecrets("the token my-own-secret leaked", ["my-own-secret"])).toBe("the token [REDACTED] leaked");
    expect(redactSecrets("model gpt-4o is overloaded")).toBe("model gpt-4o is overloaded");
  });
});

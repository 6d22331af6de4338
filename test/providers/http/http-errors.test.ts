import { describe, expect, it } from "vitest";
import { ErrorKind } from "../../../gen/ts/switchyard/v1/inference_pb.js";
import { kindForStatus, retryAfterMs, upstreamHttpError } from "../../../src/providers/http/http-errors.js";

describe("retryAfterMs", () => {
  const now = Date.UTC(2026, 0, 1, 12, 0, 0);

  it("reads Retry-After as whole or fractional seconds", () => {
    expect(retryAfterMs({ "retry-after": "7" }, now)).toBe(7000);
    expect(retryAfterMs({ "retry-after": "0.25" }, now)).toBe(250);
    expect(retryAfterMs({ "retry-after": " 3 " }, now)).toBe(3000);
  });

  it("reads Retry-After as an HTTP date relative to now, never negative", () => {
    expect(retryAfterMs({ "retry-after": "Thu, 01 Jan 2026 12:00:30 GMT" }, now)).toBe(30_000);
    expect(retryAfterMs({ "retry-after": "Thu, 01 Jan 2026 11:59:00 GMT" }, now)).toBe(0);
  });

  it("prefers retry-after-ms (OpenAI, Azure) over Retry-After", () => {
    expect(retryAfterMs({ "retry-after-ms": "1500", "retry-after": "9" }, now)).toBe(1500);
  });

  it("takes the first value of a repeated header and ignores garbage", () => {
    expect(retryAfterMs({ "retry-after": ["2", "5"] }, now)).toBe(2000);
    expect(retryAfterMs({ "retry-after": "soon" }, now)).toBeUndefined();
    expect(retryAfterMs({ "retry-after-ms": "soon", "retry-after": "1" }, now)).toBe(1000);
    expect(retryAfterMs({}, now)).toBeUndefined();
  });
});

describe("kindForStatus", () => {
  it.each([
    [400, "Invalid value for 'temperature'", ErrorKind.INVALID_REQUEST],
    [400, "This model's maximum context length is 8192 tokens", ErrorKind.CONTEXT_WINDOW_EXCEEDED],
    [400, "prompt is too long: 210000 tokens > 200000 maximum", ErrorKind.CONTEXT_WINDOW_EXCEEDED],
    [400, "content_filter: the prompt was filtered", ErrorKind.CONTENT_POLICY],
    [401, "invalid api key", ErrorKind.AUTHENTICATION],
    [403, "no access", ErrorKind.PERMISSION_DENIED],
    [404, "no such model", ErrorKind.NOT_FOUND],
    [408, "timed out", ErrorKind.TIMEOUT],
    [413, "too large", ErrorKind.PAYLOAD_TOO_LARGE],
    [413, "input is too long for the context window", ErrorKind.CONTEXT_WINDOW_EXCEEDED],
    [422, "extra inputs are not permitted", ErrorKind.INVALID_REQUEST],
    [429, "rate limited", ErrorKind.RATE_LIMITED],
    [500, "server error", ErrorKind.UPSTREAM_UNAVAILABLE],
    [502, "bad gateway", ErrorKind.UPSTREAM_UNAVAILABLE],
    [503, "overloaded", ErrorKind.UPSTREAM_UNAVAILABLE],
    [529, "Overloaded", ErrorKind.UPSTREAM_UNAVAILABLE],
  ])("HTTP %i %j → %s", (status, message, kind) => {
    expect(kindForStatus(status, message)).toBe(kind);
  });

  it("does not read context-window words into a 429 or 500", () => {
    expect(kindForStatus(429, "too many tokens per minute")).toBe(ErrorKind.RATE_LIMITED);
    expect(kindForStatus(500, "context length")).toBe(ErrorKind.UPSTREAM_UNAVAILABLE);
  });
});

describe("upstreamHttpError", () => {
  it("keeps the provider's message (redacted), status, provider and retry-after", () => {
    const err = upstreamHttpError("openai", 401, "Incorrect API key provided: sk-live-abcdef0123456789.", {}, ["sk-live-abcdef0123456789"]);
    expect(err.kind).toBe(ErrorKind.AUTHENTICATION);
    expect(err.message).toBe("openai: Incorrect API key provided: [REDACTED].");
    expect(err.httpStatus).toBe(401);
    expect(err.provider).toBe("openai");
  });

  it("classifies by the provider's error code when the message alone would not", () => {
    const err = upstreamHttpError("azure", 400, "The response was filtered.", {}, [], { code: "content_filter" });
    expect(err.kind).toBe(ErrorKind.CONTENT_POLICY);
    expect(err.message).toBe("azure: The response was filtered.");
    expect(upstreamHttpError("openai", 400, "Too long.", {}, [], { code: "context_length_exceeded" }).kind).toBe(ErrorKind.CONTEXT_WINDOW_EXCEEDED);
  });

  it("uses a hinted wait only when the headers carry none", () => {
    expect(upstreamHttpError("p", 429, "slow down", { "retry-after": "2" }, [], { retryAfterMs: 9000 }).retryAfterMs).toBe(2000);
    expect(upstreamHttpError("p", 429, "slow down", {}, [], { retryAfterMs: 9000 }).retryAfterMs).toBe(9000);
  });

  it("says HTTP <status> when the provider gave no message", () => {
    expect(upstreamHttpError("p", 503, "").message).toBe("p: HTTP 503");
  });
});

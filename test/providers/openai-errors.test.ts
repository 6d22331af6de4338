import { describe, expect, it } from "vitest";
import { ErrorKind } from "../../gen/ts/switchyard/v1/inference_pb.js";
import { describeErrorBody, parseDuration, rateLimitResetMs, streamErrorFromEvent } from "../../src/providers/openai/errors.js";

describe("describeErrorBody", () => {
  it("reads OpenAI's {error: {message, type, code}}", () => {
    expect(describeErrorBody('{"error":{"message":"Too long.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}')).toEqual({
      message: "Too long.",
      code: "context_length_exceeded invalid_request_error",
    });
  });

  it("adds Azure's innererror code", () => {
    expect(describeErrorBody('{"error":{"message":"Filtered.","code":"content_filter","innererror":{"code":"ResponsibleAIPolicyViolation"}}}')).toEqual({
      message: "Filtered.",
      code: "content_filter ResponsibleAIPolicyViolation",
    });
  });

  it("reads the other shapes compatible servers answer with", () => {
    expect(describeErrorBody('{"error":"model \\"llama9\\" not found, try pulling it first"}')).toEqual({ message: 'model "llama9" not found, try pulling it first' });
    expect(describeErrorBody('{"object":"error","message":"This model\'s maximum context length is 4096 tokens.","type":"BadRequestError","code":400}')).toEqual({
      message: "This model's maximum context length is 4096 tokens.",
    });
    expect(describeErrorBody('{"detail":[{"loc":["body","model"],"msg":"Field required"}]}')).toEqual({
      message: '[{"loc":["body","model"],"msg":"Field required"}]',
    });
    expect(describeErrorBody("upstream connect error")).toEqual({ message: "upstream connect error" });
  });
});

describe("rate-limit reset headers", () => {
  it("parses Go-style durations", () => {
    expect(parseDuration("20ms")).toBe(20);
    expect(parseDuration("1s")).toBe(1000);
    expect(parseDuration("6m0s")).toBe(360_000);
    expect(parseDuration("1h2m3.5s")).toBe(3_723_500);
    expect(parseDuration("soon")).toBeUndefined();
    expect(parseDuration(undefined)).toBeUndefined();
  });

  it("waits for the reset of whichever limit is exhausted, the longer when both are", () => {
    const headers = {
      "x-ratelimit-remaining-requests": "0",
      "x-ratelimit-reset-requests": "2s",
      "x-ratelimit-remaining-tokens": "0",
      "x-ratelimit-reset-tokens": "7.5s",
    };
    expect(rateLimitResetMs(headers)).toBe(7500);
    expect(rateLimitResetMs({ ...headers, "x-ratelimit-remaining-tokens": "10" })).toBe(2000);
    expect(rateLimitResetMs({ "x-ratelimit-reset-requests": "2s" })).toBeUndefined();
  });
});

describe("streamErrorFromEvent", () => {
  it.each([
    [{ error: { message: "Internal error", type: "server_error", code: null } }, ErrorKind.UPSTREAM_UNAVAILABLE],
    [{ error: { message: "Rate limit reached", type: "tokens", code: "rate_limit_exceeded" } }, ErrorKind.RATE_LIMITED],
    [{ error: { message: "maximum context length exceeded", type: "invalid_request_error", code: "context_length_exceeded" } }, ErrorKind.CONTEXT_WINDOW_EXCEEDED],
    [{ error: { message: "filtered", code: "content_filter", status: 400 } }, ErrorKind.CONTENT_POLICY],
    [{ error: "overloaded" }, ErrorKind.UPSTREAM_UNAVAILABLE],
  ])("maps %j to kind %s, with no HTTP status (the stream was a 200)", (payload, kind) => {
    const err = streamErrorFromEvent("openai", payload as never, []);
    expect(err.kind).toBe(kind);
    expect(err.httpStatus).toBeUndefined();
    expect(err.provider).toBe("openai");
  });

  it("redacts the key from the message", () => {
    const err = streamErrorFromEvent("openai", { error: { message: "bad key sk-abcdefghijklmnop0123" } }, ["sk-abcdefghijklmnop0123"]);
    expect(err.message).toBe("openai: bad key [REDACTED]");
  });
});

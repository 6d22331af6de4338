import { Writable } from "node:stream";
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { InMemorySpanExporter, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { pino } from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { InferenceService } from "../../gen/ts/switchyard/v1/inference_pb.js";
import { startGateway, type Gateway } from "../../src/server/gateway.js";
import { builtinProviders } from "../../src/providers/registry.js";
import { openAiError, ERRORS, openAiStream, startOpenAiFake, textStreamEvents, type ScriptedServer } from "../support/fake-upstreams/openai.js";
import { configFromYaml } from "../support/gateway.js";
import { TEST_KEY } from "../providers/openai-helpers.js";

/**
 * Metrics, request ids, access log and spans of a real gateway in front of
 * the OpenAI-wire fake: a first attempt that fails with 503 and a retry
 * that succeeds, so every hook (attempts, retries, tokens, cost) fires.
 */
let fake: ScriptedServer;
let gateway: Gateway;
let connect: Client<typeof InferenceService>;
let grpc: Client<typeof InferenceService>;
const spans = new InMemorySpanExporter();
const logLines: Array<Record<string, unknown>> = [];

const NO_COOLDOWN = { allowed_fails: 1000, allowed_fails_policy: { rate_limited_allowed_fails: 1000 } };
const SECRET_PROMPT = "the launch code is 0000";
const hello = (model: string) => ({ model, messages: [{ role: "user", content: SECRET_PROMPT }] });

beforeAll(async () => {
  fake = await startOpenAiFake();
  const providers = builtinProviders();
  const config = configFromYaml(
    JSON.stringify({
      model_list: [
        { model_name: "chat", id: "chat-a", provider: "openai", params: { model: "gpt-4o", api_base: `${fake.url}/v1`, api_key: TEST_KEY } },
        { model_name: "down", id: "down-a", provider: "openai", params: { model: "gpt-4o", api_base: `${fake.url}/v1`, api_key: TEST_KEY } },
      ],
      router_settings: { num_retries: 1, retry_backoff_ms: 1, max_retry_backoff_ms: 2, ...NO_COOLDOWN },
      observability: { access_log: { sample_ratio: 1 } },
    }),
    providers,
  );
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString("utf8").split("\n")) if (line) logLines.push(JSON.parse(line));
      done();
    },
  });
  gateway = await startGateway({
    config,
    port: 0,
    host: "127.0.0.1",
    providers,
    logger: pino({ level: "info" }, sink),
    observability: { spanExporter: spans },
    metricsPort: 0,
  });
  connect = createClient(InferenceService, createConnectTransport({ baseUrl: gateway.url, httpVersion: "1.1" }));
  grpc = createClient(InferenceService, createGrpcTransport({ baseUrl: gateway.url }));
});
afterAll(async () => {
  await gateway.close(0);
  await fake.close();
});
beforeEach(() => {
  spans.reset();
  logLines.length = 0;
  fake.requests.length = 0;
});

async function scrape(url = gateway.url): Promise<string> {
  const res = await fetch(`${url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/plain");
  return res.text();
}

/** The value of one series in the exposition, 0 when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const labelPart = line.slice(name.length).split(" ")[0]!;
    if (wanted.every((w) => labelPart.includes(w))) return Number(line.split(" ").at(-1));
  }
  return 0;
}

const accessLines = () => logLines.filter((l) => l.msg === "access");

describe("metrics at GET /metrics", () => {
  it("counts requests, attempts, retries, tokens and cost, and observes latency, overhead and TTFT", async () => {
    const before = await scrape();
    fake.enqueue(openAiError(503, ERRORS.unavailable!.error));
    const answer = await connect.complete(hello("chat"));
    expect(answer.attempts).toHaveLength(2);
    for await (const _ of grpc.streamComplete(hello("chat"))) void _;
    await expect(connect.complete(hello("nope"))).rejects.toMatchObject({ code: Code.NotFound });

    const after = await scrape();
    const delta = (name: string, labels: Record<string, string> = {}) => sample(after, name, labels) - sample(before, name, labels);
    expect(delta("switchyard_requests_total", { model_group: "chat", call_type: "complete", protocol: "connect", code: "OK" })).toBe(1);
    expect(delta("switchyard_requests_total", { model_group: "chat", call_type: "stream_complete", protocol: "grpc", code: "OK" })).toBe(1);
    expect(delta("switchyard_requests_total", { model_group: "nope", call_type: "complete", code: "NOT_FOUND" })).toBe(1);
    expect(delta("switchyard_upstream_attempts_total", { model_group: "chat", deployment: "chat-a", provider: "openai", outcome: "failure" })).toBe(1);
    expect(delta("switchyard_upstream_attempts_total", { model_group: "chat", deployment: "chat-a", provider: "openai", outcome: "success" })).toBe(2);
    expect(delta("switchyard_retries_total")).toBe(1);
    expect(delta("switchyard_tokens_total", { model_group: "chat", deployment: "chat-a", kind: "prompt" })).toBeGreaterThanOrEqual(19);
    expect(delta("switchyard_tokens_total", { model_group: "chat", deployment: "chat-a", kind: "completion" })).toBeGreaterThanOrEqual(10);
    expect(delta("switchyard_cost_usd_total", { model_group: "chat", deployment: "chat-a" })).toBeGreaterThan(0);
    expect(delta("switchyard_request_duration_seconds_count", { model_group: "chat", call_type: "complete" })).toBe(1);
    expect(delta("switchyard_gateway_overhead_seconds_count")).toBe(2);
    expect(delta("switchyard_time_to_first_token_seconds_count", { model_group: "chat" })).toBe(1);
    expect(sample(after, "switchyard_in_flight_requests", { model_group: "chat" })).toBe(0);
    expect(sample(after, "switchyard_deployment_state", { deployment: "chat-a", state: "healthy" })).toBe(1);
    expect(sample(after, "switchyard_deployment_state", { deployment: "chat-a", state: "cooldown" })).toBe(0);
    // Sub-millisecond overhead and multi-second completions both land in real buckets.
    expect(after).toContain('switchyard_gateway_overhead_seconds_bucket{le="0.0001"}');
    expect(after).toContain('switchyard_request_duration_seconds_bucket{le="120",model_group="chat",call_type="complete"}');
  });

  it("serves the same exposition on server_settings.metrics_port, and nothing else there", async () => {
    const url = `http://127.0.0.1:${gateway.metricsPort}`;
    expect(await scrape(url)).toContain("# TYPE switchyard_requests_total counter");
    expect((await fetch(`${url}/other`)).status).toBe(404);
  });
});

describe("x-request-id", () => {
  it("keeps the caller's id on unary answers and errors, and makes one when none is sent", async () => {
    let header: Headers | undefined;
    await connect.complete(hello("chat"), { headers: { "x-request-id": "caller-id-1" }, onHeader: (h) => (header = h) });
    expect(header?.get("x-request-id")).toBe("caller-id-1");
    await connect.complete(hello("chat"), { onHeader: (h) => (header = h) });
    expect(header?.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    const err = await connect.complete(hello("nope"), { headers: { "x-request-id": "caller-id-2" } }).then(() => undefined, (e: unknown) => ConnectError.from(e));
    expect(err).toBeInstanceOf(ConnectError);
    expect(err!.metadata.get("x-request-id")).toBe("caller-id-2");
  });

  it("sends it in a stream's headers and trailers", async () => {
    let header: Headers | undefined;
    let trailer: Headers | undefined;
    const stream = grpc.streamComplete(hello("chat"), { headers: { "x-request-id": "stream-id" }, onHeader: (h) => (header = h), onTrailer: (t) => (trailer = t) });
    for await (const _ of stream) void _;
    expect(header?.get("x-request-id")).toBe("stream-id");
    expect(trailer?.get("x-request-id")).toBe("stream-id");
  });
});

describe("access log", () => {
  it("writes one structured line per request with its outcome, and never the prompt", async () => {
    fake.enqueue(openAiError(503, ERRORS.unavailable!.error));
    await connect.complete(hello("chat"), { headers: { "x-request-id": "logged-1" } });
    const lines = accessLines();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      requestId: "logged-1",
      procedure: "switchyard.v1.InferenceService/Complete",
      modelGroup: "chat",
      deployment: "chat-a",
      protocol: "connect",
      code: "OK",
      attempts: 2,
      cache: "none",
    });
    expect(lines[0]!.latencyMs).toBeGreaterThan(0);
    expect(lines[0]!.promptTokens).toBeGreaterThan(0);
    expect(JSON.stringify(logLines)).not.toContain(SECRET_PROMPT);
    expect(JSON.stringify(logLines)).not.toContain(TEST_KEY);
  });
});

describe("traces", () => {
  const byName = (name: string) => spans.getFinishedSpans().filter((s) => s.name === name);
  const attrs = (s: ReadableSpan) => s.attributes;

  it("records a request span with a failed attempt span and a successful retry span, under the caller's traceparent, and passes it upstream", async () => {
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    fake.enqueue(openAiError(503, ERRORS.unavailable!.error));
    await connect.complete(hello("chat"), { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });

    const [request] = byName("chat chat").filter((s) => s.kind === 1);
    expect(request).toBeDefined();
    expect(request!.spanContext().traceId).toBe(traceId);
    expect(request!.parentSpanContext?.spanId).toBe("00f067aa0ba902b7");
    expect(attrs(request!)).toMatchObject({
      "gen_ai.operation.name": "chat",
      "gen_ai.request.model": "chat",
      "gen_ai.response.model": "gpt-4o-2024-08-06",
      "gen_ai.usage.input_tokens": 19,
      "gen_ai.usage.output_tokens": 10,
      "gen_ai.response.finish_reasons": ["stop"],
      "switchyard.attempts": 2,
    });
    const attempts = spans.getFinishedSpans().filter((s) => s.kind === 2);
    expect(attempts.map((s) => attrs(s)["switchyard.attempt.outcome"])).toEqual(["failure", "success"]);
    for (const a of attempts) {
      expect(a.parentSpanContext?.spanId).toBe(request!.spanContext().spanId);
      expect(attrs(a)).toMatchObject({ "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": "chat" });
    }
    expect(attrs(attempts[0]!)).toMatchObject({ "error.type": "UPSTREAM_UNAVAILABLE", "http.response.status_code": 503 });
    expect(attrs(attempts[1]!)).toMatchObject({ "switchyard.attempt.retry": 1, "gen_ai.usage.output_tokens": 10 });

    // Each upstream call carried its own attempt span as the parent.
    expect(fake.requests.map((r) => r.headers.traceparent)).toEqual(attempts.map((a) => `00-${traceId}-${a.spanContext().spanId}-01`));
    // No prompt or completion text in any span unless record_content is set.
    expect(JSON.stringify(spans.getFinishedSpans().map((s) => s.attributes))).not.toContain(SECRET_PROMPT);
  });

  it("traces streams, with the attempt span covering the upstream call", async () => {
    for await (const _ of grpc.streamComplete(hello("chat"))) void _;
    const request = spans.getFinishedSpans().find((s) => s.kind === 1);
    expect(request?.name).toBe("chat chat");
    expect(attrs(request!)["gen_ai.usage.output_tokens"]).toBeGreaterThan(0);
    const attempt = spans.getFinishedSpans().find((s) => s.kind === 2);
    expect(attempt?.parentSpanContext?.spanId).toBe(request!.spanContext().spanId);
    expect(fake.lastRequest.headers.traceparent).toContain(attempt!.spanContext().spanId);
  });

  it("marks a failed request's span with its status code", async () => {
    await connect.complete(hello("nope")).catch(() => undefined);
    const request = spans.getFinishedSpans().find((s) => s.kind === 1);
    expect(request?.status.code).toBe(2);
    expect(attrs(request!)["error.type"]).toBe("NOT_FOUND");
  });
});

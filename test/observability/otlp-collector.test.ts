import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, expect, it } from "vitest";
import { InferenceService } from "../../gen/ts/switchyard/v1/inference_pb.js";
import type { Gateway } from "../../src/server/gateway.js";
import { startOtelCollector } from "../support/emulators/otel-collector.js";
import type { RunningService } from "../support/emulators/process.js";
import { ERRORS, openAiError, startOpenAiFake, type ScriptedServer } from "../support/fake-upstreams/openai.js";
import { startTestGateway } from "../support/gateway.js";
import { TEST_KEY } from "../providers/openai-helpers.js";
import { waitUntil } from "../support/wait-until.js";

/**
 * Traces through a real OpenTelemetry Collector: the gateway exports
 * OTLP/HTTP protobuf to the collector's OTLP receiver, the collector
 * re-exports OTLP/JSON to a sink here, and the test reads the trace back.
 */
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Array<{ key: string; value: Record<string, unknown> }>;
}

let sink: Server;
const received: OtlpSpan[] = [];
let collector: RunningService;
let fake: ScriptedServer;
let gateway: Gateway;

beforeAll(async () => {
  sink = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on("data", (c: Buffer) => parts.push(c));
    req.on("end", () => {
      const body = JSON.parse(Buffer.concat(parts).toString("utf8")) as {
        resourceSpans?: Array<{ scopeSpans?: Array<{ spans?: OtlpSpan[] }> }>;
      };
      for (const rs of body.resourceSpans ?? []) for (const ss of rs.scopeSpans ?? []) received.push(...(ss.spans ?? []));
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => sink.listen(0, "127.0.0.1", resolve));
  collector = await startOtelCollector(`http://127.0.0.1:${(sink.address() as AddressInfo).port}`);
  fake = await startOpenAiFake();
  gateway = await startTestGateway(
    JSON.stringify({
      model_list: [{ model_name: "chat", id: "chat-a", provider: "openai", params: { model: "gpt-4o", api_base: `${fake.url}/v1`, api_key: TEST_KEY } }],
      router_settings: { num_retries: 1, retry_backoff_ms: 1, max_retry_backoff_ms: 2, allowed_fails: 1000 },
      observability: { tracing: { otlp_endpoint: collector.endpoint, service_name: "switchyard-test", sampling_ratio: 1 } },
    }),
  );
});
afterAll(async () => {
  await gateway?.close(0);
  await collector?.stop();
  await fake?.close();
  sink?.close();
});

const attr = (span: OtlpSpan, key: string) => {
  const value = span.attributes.find((a) => a.key === key)?.value;
  return value && Object.values(value)[0];
};

it("the collector receives the request span, a failed attempt span and a successful retry span with GenAI attributes", async () => {
  fake.enqueue(openAiError(503, ERRORS.unavailable!.error));
  const client = createClient(InferenceService, createConnectTransport({ baseUrl: gateway.url, httpVersion: "1.1" }));
  const answer = await client.complete({ model: "chat", messages: [{ role: "user", content: "Hello!" }] });
  expect(answer.attempts).toHaveLength(2);
  await gateway.observability!.tracing!.flush();
  await waitUntil(() => received.length >= 3, 15_000);

  const request = received.find((s) => s.kind === 2 /* SPAN_KIND_SERVER */)!;
  expect(request.name).toBe("chat chat");
  expect(attr(request, "gen_ai.operation.name")).toBe("chat");
  expect(attr(request, "gen_ai.request.model")).toBe("chat");
  expect(attr(request, "gen_ai.response.model")).toBe("gpt-4o-2024-08-06");
  expect(attr(request, "gen_ai.usage.input_tokens")).toBe("19");
  expect(attr(request, "gen_ai.usage.output_tokens")).toBe("10");

  const attempts = received.filter((s) => s.kind === 3 /* SPAN_KIND_CLIENT */ && s.traceId === request.traceId);
  expect(attempts.map((s) => attr(s, "switchyard.attempt.outcome")).sort()).toEqual(["failure", "success"]);
  for (const a of attempts) {
    expect(a.parentSpanId).toBe(request.spanId);
    expect(attr(a, "gen_ai.provider.name")).toBe("openai");
    expect(attr(a, "gen_ai.operation.name")).toBe("chat");
  }
  const failed = attempts.find((s) => attr(s, "switchyard.attempt.outcome") === "failure")!;
  expect(attr(failed, "error.type")).toBe("UPSTREAM_UNAVAILABLE");
  // The upstream saw each attempt's span as its parent.
  expect(fake.requests.map((r) => String(r.headers.traceparent).split("-")[1])).toEqual([request.traceId, request.traceId]);
});

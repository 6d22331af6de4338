import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, expect, it } from "vitest";
import { InferenceService } from "../../gen/ts/switchyard/v1/inference_pb.js";
import type { Gateway } from "../../src/server/gateway.js";
import { startPrometheus } from "../support/emulators/prometheus.js";
import type { RunningService } from "../support/emulators/process.js";
import { mockConfig, startTestGateway } from "../support/gateway.js";

/**
 * A real Prometheus scrapes a running gateway's GET /metrics; the test
 * reads the numbers back through Prometheus's HTTP query API, so the
 * exposition is checked by the consumer it is for.
 */
let gateway: Gateway;
let prometheus: RunningService;

beforeAll(async () => {
  gateway = await startTestGateway(mockConfig({ latency_ms: 5 }, "mock-chat"));
  prometheus = await startPrometheus(`127.0.0.1:${gateway.port}`);
});
afterAll(async () => {
  await prometheus?.stop();
  await gateway?.close(0);
});

interface VectorResult {
  metric: Record<string, string>;
  value: [number, string];
}

async function query(promql: string): Promise<VectorResult[]> {
  const res = await fetch(`${prometheus.endpoint}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body = (await res.json()) as { status: string; data: { result: VectorResult[] }; error?: string };
  expect(body.status, body.error).toBe("success");
  return body.data.result;
}

/** How long a query may take to show the calls: scrapes come every second, so this only turns a hang into a failure. */
const SCRAPED_BOUND_MS = 20_000;
/** A quarter of the scrape interval between queries: a new scrape is seen soon, and Prometheus is not flooded. */
const QUERY_GAP_MS = 250;

/**
 * Polls a query until `accept` holds for its first value. Polling is the only
 * option: the numbers appear once another process (Prometheus) has scraped
 * and stored them, and it tells nobody when it has; its query API is the
 * only way to see them.
 */
async function eventually(promql: string, accept: (value: number) => boolean, timeoutMs = SCRAPED_BOUND_MS): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = Number.NaN;
  while (Date.now() < deadline) {
    const [first] = await query(promql);
    last = first ? Number(first.value[1]) : Number.NaN;
    if (accept(last)) return last;
    await new Promise((r) => setTimeout(r, QUERY_GAP_MS));
  }
  throw new Error(`${promql} never satisfied the check within ${timeoutMs} ms; last value ${last}`);
}

it("Prometheus scrapes switchyard_requests_total and computes a latency quantile from the histogram", async () => {
  const client = createClient(InferenceService, createConnectTransport({ baseUrl: gateway.url, httpVersion: "1.1" }));
  for (let i = 0; i < 20; i++) await client.complete({ model: "mock-chat", messages: [{ role: "user", content: `hi ${i}` }] });

  const total = await eventually(
    'sum(switchyard_requests_total{job="switchyard",model_group="mock-chat",call_type="complete",code="OK"})',
    (v) => v === 20,
  );
  expect(total).toBe(20);
  const p90 = await eventually(
    'histogram_quantile(0.9, sum by (le) (switchyard_request_duration_seconds_bucket{model_group="mock-chat"}))',
    (v) => Number.isFinite(v),
  );
  // The mock answers after 5 ms: the quantile lands at or above that and well below a second.
  expect(p90).toBeGreaterThanOrEqual(0.005);
  expect(p90).toBeLessThan(1);
  const [up] = await query('up{job="switchyard"}');
  expect(up?.value[1]).toBe("1");
});

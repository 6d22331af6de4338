import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import type http from "node:http";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fromStreamload } from "../../bench/lib/load-results.js";
import { createMockUpstream, listen } from "../../bench/mock-upstream/server.js";
import { openAiBody, switchyardBinaryBody, switchyardJsonBody } from "../../bench/lib/workload.js";
import type { Gateway } from "../../src/server/gateway.js";
import { startTestGateway } from "../support/gateway.js";

const exec = promisify(execFile);

/**
 * The Go streaming load tool against real servers: the mock upstream's SSE,
 * and a real Switchyard gateway over Connect and gRPC. It must see every
 * stream end cleanly and time the first message before the end.
 */
describe("bench/loadgen streamload", () => {
  let dir: string;
  let bin: string;
  let upstream: http.Server;
  let upstreamUrl: string;
  let gateway: Gateway;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "streamload-test-"));
    bin = path.join(dir, "streamload");
    await exec("go", ["build", "-o", bin, "."], { cwd: path.resolve(import.meta.dirname, "../../bench/loadgen") });
    upstream = createMockUpstream({ latencyMs: 5, chunkDelayMs: 2, answer: { text: "one two three four five six", chunkCount: 3 } });
    upstreamUrl = `http://127.0.0.1:${await listen(upstream, 0)}`;
    gateway = await startTestGateway(
      JSON.stringify({ model_list: [{ model_name: "bench", provider: "mock", params: { model: "m", mock: { latency_ms: 5, chunk_delay_ms: 2, chunk_count: 3 } } }] }),
    );
  }, 120_000);

  afterAll(async () => {
    await gateway?.close(0);
    await new Promise<void>((resolve) => upstream?.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  });

  async function runTool(mode: string, url: string, body: string | Uint8Array) {
    const bodyFile = path.join(dir, `body-${mode}`);
    await writeFile(bodyFile, body);
    const { stdout } = await exec(bin, [`-url=${url}`, `-mode=${mode}`, `-body-file=${bodyFile}`, "-rate=40", "-duration=500ms", "-timeout=5s"]);
    return fromStreamload(stdout, 40);
  }

  function expectCleanRun(r: ReturnType<typeof fromStreamload>) {
    expect(r.errorSamples).toEqual([]);
    expect(r.sent).toBe(20); // 40/s for 0.5 s, open loop
    expect(r.ok).toBe(20);
    // The first message comes after the upstream latency, and before the end of the stream.
    expect(r.ttft!.p50Ms).toBeGreaterThanOrEqual(4);
    expect(r.latency.p50Ms).toBeGreaterThan(r.ttft!.p50Ms);
  }

  it("times OpenAI SSE streams to the first data event and to [DONE]", async () => {
    expectCleanRun(await runTool("sse", `${upstreamUrl}/v1/chat/completions`, openAiBody("gpt-4o-mini", true)));
  });

  it("times Connect server streams (HTTP/1.1 JSON envelopes) to the end-stream message", async () => {
    expectCleanRun(await runTool("connect", `${gateway.url}/switchyard.v1.InferenceService/StreamComplete`, switchyardJsonBody()));
  });

  it("times gRPC server streams over h2c and checks grpc-status", async () => {
    expectCleanRun(await runTool("grpc", `${gateway.url}/switchyard.v1.InferenceService/StreamComplete`, switchyardBinaryBody()));
  });

  it("counts a failing call as an error with the server's message", async () => {
    const body = JSON.stringify({ model: "no-such-group", messages: [{ role: "user", content: "hi" }] });
    const bodyFile = path.join(dir, "bad");
    await writeFile(bodyFile, body);
    const { stdout } = await exec(bin, [`-url=${gateway.url}/switchyard.v1.InferenceService/StreamComplete`, "-mode=connect", `-body-file=${bodyFile}`, "-rate=20", "-duration=100ms"]);
    const r = fromStreamload(stdout, 20);
    expect(r.ok).toBe(0);
    expect(r.errors).toBe(r.sent);
    expect(r.errorSamples[0]).toMatch(/connect error not_found: .*no-such-group/);
  });
});

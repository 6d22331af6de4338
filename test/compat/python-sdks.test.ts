import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Gateway } from "../../src/server/gateway.js";
import { startTestGateway } from "../support/gateway.js";
import { REPO_ROOT, runSuite } from "../clients/client-gateway.js";

/**
 * The official Python `openai` and `anthropic` SDKs (installed into
 * .tools/sdk-python by .ci/setup.d/25-compat-sdk-python.sh) against a real
 * gateway: the pytest suite in test/compat/python/.
 */
describe("Python openai and anthropic SDKs (pytest)", () => {
  let gateway: Gateway;
  beforeAll(async () => {
    const limited = (name: string) => ({ model_name: name, provider: "mock", params: { model: "mock-limited", mock: { failure_rate: 1, failure_kind: "MOCK_FAILURE_RATE_LIMITED" } } });
    gateway = await startTestGateway(
      JSON.stringify({
        model_list: [{ model_name: "mock", provider: "mock", params: { model: "mock-1", mock: { chunk_count: 3 } } }, limited("limited"), limited("limited-2")],
        router_settings: { num_retries: 0 },
      }),
    );
  });
  afterAll(() => gateway?.close(0));

  it("passes chat, streaming, tools, models, embeddings, responses, messages and error cases", async () => {
    const python = join(REPO_ROOT, ".tools/sdk-python/bin/python");
    const run = await runSuite(python, ["-m", "pytest", "-v", "-p", "no:cacheprovider", "test/compat/python"], {
      cwd: REPO_ROOT,
      env: { SWITCHYARD_URL: gateway.url },
      timeoutMs: 90_000,
    });
    expect(run.exitCode, run.output).toBe(0);
    expect(run.output, run.output).toMatch(/\b9 passed\b/);
    expect(run.output).not.toMatch(/skipped|deselected/);
  }, 120_000);
});

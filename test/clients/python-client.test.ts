import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Gateway } from "../../src/server/gateway.js";
import { clientSuiteEnv, REPO_ROOT, runSuite, startClientSuiteGateway } from "./client-gateway.js";

/**
 * The Python client (gen/python, installed with pip into .tools/client-python
 * by .ci/setup.d/20-codegen-and-clients.sh) against a real gateway: the pytest
 * suite in test/clients/python/ runs grpcio and connect-python clients.
 */
describe("Python client (pytest: grpcio and connect-python)", () => {
  let gateway: Gateway;
  beforeAll(async () => {
    gateway = await startClientSuiteGateway();
  });
  afterAll(() => gateway?.close(0));

  it("passes unary, streaming, deadline, cancellation and error-mapping cases", async () => {
    const python = join(REPO_ROOT, ".tools/client-python/bin/python");
    const run = await runSuite(python, ["-m", "pytest", "-v", "-p", "no:cacheprovider", "test/clients/python"], {
      cwd: REPO_ROOT,
      env: clientSuiteEnv(gateway),
      timeoutMs: 90_000,
    });
    expect(run.exitCode, run.output).toBe(0);
    // Every case ran and passed; none was skipped or deselected.
    expect(run.output, run.output).toMatch(/\b11 passed\b/);
    expect(run.output).not.toMatch(/skipped|deselected/);
  }, 120_000);
});

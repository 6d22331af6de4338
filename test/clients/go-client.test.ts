import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Gateway } from "../../src/server/gateway.js";
import { clientSuiteEnv, REPO_ROOT, runSuite, startClientSuiteGateway } from "./client-gateway.js";

/**
 * The Go client (gen/go) against a real gateway: `go test` in
 * test/clients/go runs every case through connect-go over gRPC, connect-go
 * over the Connect protocol, and grpc-go. Modules are downloaded and compiled
 * by .ci/setup.d/20-codegen-and-clients.sh, so this only links and runs.
 */
const TRANSPORTS = ["connect-go_over_gRPC", "connect-go_over_Connect", "grpc-go"];
const CASES = ["unary", "stream_arrives_incrementally", "deadline_exceeded", "cancel_stops_the_upstream_call", "errors_map_to_status_and_message"];

describe("Go client (go test: connect-go over gRPC and Connect, grpc-go)", () => {
  let gateway: Gateway;
  beforeAll(async () => {
    gateway = await startClientSuiteGateway();
  });
  afterAll(() => gateway?.close(0));

  it("passes unary, streaming, deadline, cancellation and error-mapping cases on every transport", async () => {
    const run = await runSuite("go", ["test", "-count=1", "-v", "./..."], {
      cwd: join(REPO_ROOT, "test/clients/go"),
      // GOFLAGS=-mod=mod would let go test rewrite go.mod; the committed go.sum must suffice.
      env: { ...clientSuiteEnv(gateway), GOFLAGS: "-mod=readonly" },
      timeoutMs: 240_000,
    });
    expect(run.exitCode, run.output).toBe(0);
    // Every transport ran every case (not skipped, not filtered out).
    for (const transport of TRANSPORTS) {
      for (const name of CASES) expect(run.output, run.output).toContain(`--- PASS: TestClients/${transport}/${name}`);
    }
    expect(run.output).not.toContain("--- SKIP");
  }, 300_000);
});

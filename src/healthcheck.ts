/**
 * `node dist/src/healthcheck.js [SERVICE]`: exits 0 when the gateway on
 * 127.0.0.1:$PORT (default 4000) answers grpc.health.v1.Health/Check with
 * SERVING for SERVICE ("" = the whole server), 1 otherwise. The container's
 * HEALTHCHECK, the same check Kubernetes' native gRPC probes make; its own
 * entry point so it loads nothing of the gateway but the health descriptor.
 */
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { Health, HealthCheckResponse_ServingStatus } from "../gen/ts/grpc/health/v1/health_pb.js";

const TIMEOUT_MS = 3_000;

async function check(port: string, service: string): Promise<string> {
  const health = createClient(Health, createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` }));
  const { status } = await health.check({ service }, { timeoutMs: TIMEOUT_MS });
  return HealthCheckResponse_ServingStatus[status] ?? String(status);
}

const service = process.argv[2] ?? "";
try {
  const status = await check(process.env.PORT || "4000", service);
  process.stdout.write(`${service || "server"}: ${status}\n`);
  process.exitCode = status === "SERVING" ? 0 : 1;
} catch (err) {
  process.stderr.write(`health check failed: ${(err as Error).message}\n`);
  process.exitCode = 1;
}

import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loadConfigFile } from "../../src/config/load.js";
import { builtinProviders } from "../../src/providers/registry.js";
import type { Gateway } from "../../src/server/gateway.js";
import { freePort } from "../support/redis-server.js";
import { startTestGateway } from "../support/gateway.js";

/**
 * What the image and the compose file rely on, checked without a container
 * daemon: the HEALTHCHECK command's verdicts, and a compose setup whose
 * gateways load their config and share one Redis. (The image's build steps
 * themselves run in CI through scripts/container/check.sh.)
 */
const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

function healthcheck(port: number, service?: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", "src/healthcheck.ts", ...(service === undefined ? [] : [service])],
      { cwd: REPO_ROOT, env: { ...process.env, PORT: String(port) } },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, output: stdout + stderr }),
    );
  });
}

describe("the container HEALTHCHECK (grpc.health.v1 over gRPC)", () => {
  let gateway: Gateway;
  beforeAll(async () => {
    gateway = await startTestGateway(JSON.stringify({ model_list: [{ model_name: "mock", provider: "mock", params: { mock: {} } }] }));
  });
  afterAll(() => gateway?.close(0));

  it("passes for a serving gateway and for its inference service", async () => {
    expect(await healthcheck(gateway.port)).toEqual({ code: 0, output: "server: SERVING\n" });
    expect(await healthcheck(gateway.port, "switchyard.v1.InferenceService")).toEqual({ code: 0, output: "switchyard.v1.InferenceService: SERVING\n" });
  }, 30_000);

  it("fails for an unknown service and when nothing listens", async () => {
    expect((await healthcheck(gateway.port, "no.such.Service")).code).toBe(1);
    const closed = await healthcheck(await freePort());
    expect(closed.code).toBe(1);
    expect(closed.output).toContain("health check failed");
  }, 30_000);
});

describe("deploy/compose.yaml", () => {
  it("runs two gateways on one mounted config that shares router state and cache through the compose Redis, scraped by Prometheus", async () => {
    const compose = parse(await readFile(path.join(REPO_ROOT, "deploy/compose.yaml"), "utf8"), { merge: true }) as {
      services: Record<string, { volumes?: string[]; environment?: Record<string, string>; ports?: string[] }>;
    };
    const gateways = Object.entries(compose.services).filter(([name]) => name.startsWith("gateway-"));
    expect(gateways).toHaveLength(2);
    expect(Object.keys(compose.services)).toEqual(expect.arrayContaining(["redis", "prometheus"]));
    for (const [, service] of gateways) {
      expect(service.volumes).toContain("./compose/switchyard.yaml:/etc/switchyard/config.yaml:ro");
      expect(service.environment!.SWITCHYARD_CONFIG).toBe("/etc/switchyard/config.yaml");
    }

    // The mounted config is valid for the gateway's own loader, and points state and cache at the compose Redis.
    const config = await loadConfigFile(path.join(REPO_ROOT, "deploy/compose/switchyard.yaml"), { providers: builtinProviders() });
    expect(config.redis?.url).toBe("redis://redis:6379");
    expect(config.cacheSettings?.enabled).toBe(true);
    expect(config.cacheSettings?.layers.map((l) => l.layer.case)).toContain("redis");

    const prometheus = parse(await readFile(path.join(REPO_ROOT, "deploy/compose/prometheus.yml"), "utf8")) as {
      scrape_configs: Array<{ static_configs: Array<{ targets: string[] }> }>;
    };
    expect(prometheus.scrape_configs[0]!.static_configs[0]!.targets).toEqual(gateways.map(([name]) => `${name}:4000`));
  });
});

import { execFile } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { MockFailure, RoutingStrategy } from "../../gen/ts/switchyard/v1/config_pb.js";
import { ConfigError } from "../../src/config/config-error.js";
import { DEFAULT_CONFIG_NAME, DEFAULT_CONFIG_YAML } from "../../src/config/default-config.js";
import { loadConfigFile, parseConfig } from "../../src/config/load.js";
import { builtinProviders } from "../../src/providers/registry.js";

const providers = builtinProviders();
const parse = (text: string, env: Record<string, string> = {}) => parseConfig(text, "gateway.yaml", { providers, env });

function problemsOf(text: string, env: Record<string, string> = {}): string {
  try {
    parse(text, env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).message;
  }
  throw new Error("expected a ConfigError");
}

describe("config as RouterConfig", () => {
  it("parses YAML through the proto's JSON mapping, with short enum names and env references", () => {
    const config = parse(
      `
model_list:
  - model_name: chat
    provider: mock
    params:
      model: mock-1
      api_key: os.environ/MOCK_KEY
      mock: { failure_kind: rate-limited, chunk_count: "3" }
    rpm: 100
    tags: [eu]
router_settings:
  routing_strategy: least-busy
  fallbacks:
    - { model: chat, to: [chat] }
`,
      { MOCK_KEY: "secret-value" },
    );
    const [d] = config.modelList;
    expect(d?.modelName).toBe("chat");
    expect(d?.params?.apiKey).toBe("secret-value");
    expect(d?.params?.mock?.failureKind).toBe(MockFailure.RATE_LIMITED);
    expect(d?.params?.mock?.chunkCount).toBe(3);
    expect(d?.rpm).toBe(100);
    expect(config.routerSettings?.routingStrategy).toBe(RoutingStrategy.LEAST_BUSY);
    expect(config.routerSettings?.fallbacks[0]?.to).toEqual(["chat"]);
  });

  it("accepts JSON and the full enum names too", () => {
    const config = parse('{"model_list":[{"model_name":"m","provider":"mock"}],"router_settings":{"routing_strategy":"ROUTING_STRATEGY_COST_BASED"}}');
    expect(config.routerSettings?.routingStrategy).toBe(RoutingStrategy.COST_BASED);
  });

  it("names the file, path and line of a value of the wrong type", () => {
    const message = problemsOf(`model_list:
  - model_name: chat
    provider: mock
    rpm: fast
`);
    expect(message).toBe('gateway.yaml: model_list[0].rpm (line 4): expected an integer, got "fast"');
  });

  it("rejects unknown keys and suggests the closest field", () => {
    const message = problemsOf(`model_list:
  - model_name: chat
    provider: mock
    params: { modle: x }
`);
    expect(message).toBe('gateway.yaml: model_list[0].params.modle (line 4): unknown key "modle" in ProviderParams (did you mean "model"?)');
  });

  it("reports a missing environment variable by name, never a value", () => {
    const message = problemsOf(`model_list:
  - model_name: chat
    provider: mock
    params: { api_key: os.environ/NOT_SET_ANYWHERE }
`);
    expect(message).toBe(
      'gateway.yaml: model_list[0].params.api_key (line 4): environment variable NOT_SET_ANYWHERE is not set (from "os.environ/NOT_SET_ANYWHERE")',
    );
  });

  it("lists every problem at once", () => {
    const message = problemsOf(`model_list:
  - model_name: chat
    provider: mock
    weight: heavy
    rpm: -1
router_settings: { routing_strategy: fastest }
`);
    expect(message.split("\n")).toEqual([
      'gateway.yaml: model_list[0].weight (line 4): expected a number, got "heavy"',
      "gateway.yaml: model_list[0].rpm (line 5): -1 is out of range 0..4294967295",
      'gateway.yaml: router_settings.routing_strategy (line 6): "fastest" is not one of simple-shuffle, least-busy, usage-based, latency-based, cost-based',
    ]);
  });

  it("checks references and providers after the schema", () => {
    const message = problemsOf(`model_list:
  - model_name: chat
    provider: skynet
  - model_name: other
    provider: mock
router_settings:
  fallbacks: [{ model: chat, to: [missing] }]
`);
    expect(message).toMatch(/^gateway\.yaml: model_list\[0\]\.provider \(line 3\): unknown provider "skynet"; one of .*\bmock\b/m);
    expect(message).toContain('gateway.yaml: router_settings.fallbacks[0].to[0] (line 7): "missing" is not a model_name in model_list');
  });

  it("takes Redis Cluster seed nodes for the shared router state and rejects ones that are not host:port", () => {
    const base = "model_list: [{ model_name: m, provider: mock }]\n";
    expect(parse(`${base}redis: { cluster_nodes: ["10.0.0.1:7000", "10.0.0.2:7000"] }`).redis?.clusterNodes).toEqual(["10.0.0.1:7000", "10.0.0.2:7000"]);
    expect(problemsOf(`${base}redis: { cluster_nodes: ["10.0.0.1"] }`)).toContain('"10.0.0.1" is not host:port');
  });

  it("reports YAML syntax errors with their line", () => {
    const message = problemsOf("model_list:\n  - model_name: [unclosed\n");
    expect(message).toMatch(/^gateway\.yaml: \(root\) \(line \d\): /);
  });

  it("names a missing file", async () => {
    await expect(loadConfigFile("/nonexistent/gateway.yaml", { providers })).rejects.toThrow(
      "/nonexistent/gateway.yaml: (root): file not found",
    );
  });

  it("the embedded default config is valid and routes `mock` to the mock provider", () => {
    const config = parseConfig(DEFAULT_CONFIG_YAML, DEFAULT_CONFIG_NAME, { providers, env: {} });
    expect(config.modelList.map((d) => [d.modelName, d.provider])).toEqual([["mock", "mock"]]);
    expect(config.serverSettings?.port).toBe(4000);
  });
});

describe("switchyard validate-config", () => {
  const ROOT = path.resolve(import.meta.dirname, "../..");
  const run = promisify(execFile);
  const validate = async (text: string) => {
    const dir = await mkdtemp(path.join(tmpdir(), "switchyard-config-"));
    const file = path.join(dir, "gateway.yaml");
    await writeFile(file, text);
    const result = await run(path.join(ROOT, "node_modules/.bin/tsx"), ["src/main.ts", "validate-config", file], { cwd: ROOT }).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    return { ...result, file };
  };

  it("exits 0 and summarizes a valid file", async () => {
    const { code, stdout, file } = await validate("model_list: [{ model_name: a, provider: mock }, { model_name: b, provider: mock }]\n");
    expect(code).toBe(0);
    expect(stdout).toBe(`${file}: ok (2 deployments in 2 model groups)\n`);
  });

  it("exits 1 and prints each problem", async () => {
    const { code, stderr, file } = await validate("model_list: [{ model_name: a, provider: mock, timeout_ms: soon }]\n");
    expect(code).toBe(1);
    expect(stderr).toBe(`${file}: model_list[0].timeout_ms (line 1): expected an integer, got "soon"\n`);
  });
});

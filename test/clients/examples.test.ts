import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Gateway } from "../../src/server/gateway.js";
import { startTestGateway } from "../support/gateway.js";
import { REPO_ROOT, runSuite } from "./client-gateway.js";

/**
 * examples/* are documented in the README as the first thing a user runs;
 * each must call Complete and stream StreamComplete against a gateway
 * serving the default `mock` model group.
 */
const EXAMPLES: Record<string, { command: string; args: string[]; cwd: string }> = {
  python: { command: join(REPO_ROOT, ".tools/client-python/bin/python"), args: ["examples/python/chat.py"], cwd: REPO_ROOT },
  go: { command: "go", args: ["run", "."], cwd: join(REPO_ROOT, "examples/go") },
  typescript: { command: "npx", args: ["tsx", "examples/typescript/chat.ts"], cwd: REPO_ROOT },
};

describe("examples", () => {
  let gateway: Gateway;
  beforeAll(async () => {
    gateway = await startTestGateway(
      JSON.stringify({ model_list: [{ model_name: "mock", provider: "mock", params: { model: "mock-1", mock: { chunk_count: 3, chunk_delay_ms: 10 } } }] }),
    );
  });
  afterAll(() => gateway?.close(0));

  it.each(Object.keys(EXAMPLES))("the %s example completes and streams", async (name) => {
    const example = EXAMPLES[name]!;
    const prompt = `hello from the ${name} example`;
    const run = await runSuite(example.command, [...example.args, prompt], {
      cwd: example.cwd,
      env: { SWITCHYARD_URL: gateway.url, SWITCHYARD_MODEL: "mock", GOFLAGS: "-mod=readonly" },
      timeoutMs: 120_000,
    });

    expect(run.exitCode, run.output).toBe(0);
    expect(run.output).toContain(`Complete (mock/mock-1): This is a mock response to: ${prompt}\n`);
    expect(run.output).toMatch(new RegExp(`StreamComplete: This is a mock response to: ${prompt}\\n\\[\\d+ tokens, \\$`));
  }, 150_000);

  it.each(Object.keys(EXAMPLES))("the %s example reports a failed call and exits 1", async (name) => {
    const example = EXAMPLES[name]!;
    const run = await runSuite(example.command, example.args, {
      cwd: example.cwd,
      env: { SWITCHYARD_URL: gateway.url, SWITCHYARD_MODEL: "no-such-model", GOFLAGS: "-mod=readonly" },
      timeoutMs: 120_000,
    });

    expect(run.exitCode, run.output).toBe(1);
    expect(run.output).toMatch(/not.?found/i);
    expect(run.output).toContain('model "no-such-model" is not a model group');
  }, 150_000);
});

import { execFile, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../clients/client-gateway.js";
import { call, complete, eventually, inFlight } from "../support/fresh-connection.js";

const run = promisify(execFile);
/** How long startCompiled waits for the "ready" line. */
const READY_BOUND_MS = 60_000;
let child: ChildProcess | undefined;

// dist/ is built once for the run by test/support/global-build.ts, as `npm start` builds it first.
afterEach(() => {
  if (child?.exitCode === null) child.kill("SIGKILL");
  child = undefined;
});

/** `npm start`'s command (node dist/src/main.js serve) on a free port; resolves once it logged "ready". */
async function startCompiled(config: Record<string, unknown>): Promise<{ port: number; proc: ChildProcess; log: () => string }> {
  const dir = await mkdtemp(path.join(tmpdir(), "switchyard-compiled-"));
  const file = path.join(dir, "config.json");
  await writeFile(file, JSON.stringify(config));
  const proc = spawn(process.execPath, ["dist/src/main.js", "serve", "--config", file, "--port", "0", "--host", "127.0.0.1"], {
    cwd: REPO_ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  child = proc;
  let output = "";
  // The "ready" log line is the event: each chunk of output is checked as it arrives, an exit before it fails at
  // once, and the bound (a cold start on a loaded 2-core machine is seconds, far below it) only turns a hang into a failure.
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not log "ready" within ${READY_BOUND_MS} ms:\n${output}`)), READY_BOUND_MS);
    const onOutput = (chunk: Buffer) => {
      output += chunk.toString();
      if (!/"msg":"ready"/.test(output)) return;
      clearTimeout(timer);
      resolve();
    };
    proc.stdout!.on("data", onOutput);
    proc.stderr!.on("data", onOutput);
    proc.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited before "ready" (code ${code}, signal ${signal}):\n${output}`));
    });
  });
  await ready;
  const port = Number(/"url":"http:\/\/localhost:(\d+)"/.exec(output)![1]);
  return { port, proc, log: () => output };
}

describe("the compiled gateway (npm start)", () => {
  it("serves every worker from dist/ and drains them all on SIGTERM", async () => {
    const { port, proc, log } = await startCompiled({
      model_list: [{ model_name: "slow", provider: "mock", params: { model: "m", mock: { latency_ms: 1_500 } } }],
      server_settings: { workers: 2, shutdown_grace_ms: 10_000 },
    });
    expect(log()).toContain('"workers":2');
    const calls = Array.from({ length: 4 }, () => complete(port, "slow"));
    // The calls park in another process's worker threads, which send this one no event: poll (bounded: eventually's 15 s).
    await eventually(async () => (await inFlight(port)) === 4);
    const exited = once(proc, "exit");
    proc.kill("SIGTERM");
    // In-flight calls on every worker finish normally; then the process exits cleanly.
    expect((await Promise.all(calls)).map((r) => r.status)).toEqual([200, 200, 200, 200]);
    const [code] = await exited;
    expect(code).toBe(0);
    await expect(call(port, "AdminService/GetRouterState", {})).rejects.toThrow(/ECONNREFUSED/);
  });

  it("runs the CLI's validate-config from dist/ through bin/switchyard.js", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "switchyard-compiled-"));
    const file = path.join(dir, "ok.yaml");
    await writeFile(file, "model_list:\n  - model_name: mock\n    provider: mock\nserver_settings:\n  workers: 3\n");
    const { stdout } = await run(process.execPath, ["bin/switchyard.js", "validate-config", file], { cwd: REPO_ROOT });
    expect(stdout).toContain("ok (1 deployments in 1 model groups)");
  });
});

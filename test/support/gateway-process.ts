import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

export interface GatewayProcess {
  /** http://127.0.0.1:PORT */
  url: string;
  port: number;
  pid: number;
  /** Everything the process printed so far (last 20 kB), for failure messages. */
  output(): string;
  /** SIGKILL: no shutdown hook runs, nothing is released. */
  kill(): Promise<void>;
  /** SIGTERM and wait for the exit (graceful shutdown). */
  stop(): Promise<void>;
}

/**
 * Starts `switchyard serve` as its own OS process (the CLI as users run it:
 * `src/main.ts` through tsx, config from a file) on a port the OS picks,
 * and waits for its "ready" log line. Several of these sharing one Redis
 * are what "N gateway instances" means in production.
 */
export async function startGatewayProcess(configJson: string, options: { env?: Record<string, string>; readyTimeoutMs?: number } = {}): Promise<GatewayProcess> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "switchyard-gw-"));
  const configFile = path.join(dir, "config.json");
  await writeFile(configFile, configJson);
  const child: ChildProcess = spawn(
    process.execPath,
    ["--import", "tsx", "src/main.ts", "serve", "--config", configFile, "--port", "0", "--host", "127.0.0.1"],
    { cwd: REPO_ROOT, env: { ...process.env, LOG_LEVEL: "info", ...options.env }, stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  void exited.then(() => rm(dir, { recursive: true, force: true }));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not log "ready" within ${options.readyTimeoutMs ?? 60_000} ms:\n${output}`)), options.readyTimeoutMs ?? 60_000);
    const onData = (data: Buffer) => {
      output = (output + data.toString()).slice(-20_000);
      const ready = /"url":"http:\/\/localhost:(\d+)".*"msg":"ready"|"msg":"ready".*"url":"http:\/\/localhost:(\d+)"/.exec(output);
      if (ready) {
        clearTimeout(timer);
        resolve(Number(ready[1] ?? ready[2]));
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited before ready (code ${code}, signal ${signal}):\n${output}`));
    });
  });
  const signal = async (name: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(name);
    await exited;
  };
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    pid: child.pid!,
    output: () => output,
    kill: () => signal("SIGKILL"),
    stop: () => signal("SIGTERM"),
  };
}

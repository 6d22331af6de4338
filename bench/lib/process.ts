/** Starting and stopping the processes under test, with their output in log files. */
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream } from "node:fs";
import { readFile } from "node:fs/promises";
import net from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

export interface Started {
  name: string;
  pid: number;
  logFile: string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process has exited. */
  stop(graceMs?: number): Promise<void>;
}

export interface SpawnSpec {
  name: string;
  command: string;
  args: string[];
  cwd?: string;
  env?: Record<string, string | undefined>;
  logFile: string;
}

export function startProcess(spec: SpawnSpec): Started & { child: ChildProcess } {
  const log = createWriteStream(spec.logFile, { flags: "a" });
  const child = spawn(spec.command, spec.args, {
    cwd: spec.cwd,
    env: { ...process.env, ...spec.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.once("error", (err) => log.write(`spawn error: ${err.message}\n`));
  return {
    name: spec.name,
    pid: child.pid ?? -1,
    logFile: spec.logFile,
    child,
    async stop(graceMs = 5000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timedOut = await Promise.race([exited.then(() => false), sleep(graceMs).then(() => true)]);
      if (timedOut) {
        child.kill("SIGKILL");
        await exited;
      }
    },
  };
}

/** A free loopback TCP port (bound and released; fine for a single-user benchmark machine). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Polls `probe` until it resolves true, the process exits, or `timeoutMs` passes. */
export async function waitUntilReady(started: Started & { child: ChildProcess }, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (started.child.exitCode !== null) throw new Error(`${started.name} exited with code ${started.child.exitCode} before it was ready: ${await tail(started.logFile)}`);
    if (await probe().catch(() => false)) return;
    await sleep(200);
  }
  throw new Error(`${started.name} was not ready within ${timeoutMs} ms: ${await tail(started.logFile)}`);
}

export async function httpOk(url: string, init?: RequestInit): Promise<boolean> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(2000) });
  await res.arrayBuffer();
  return res.ok;
}

export async function tail(file: string, chars = 1500): Promise<string> {
  const text = await readFile(file, "utf8").catch(() => "");
  return text.slice(-chars).trim();
}

/** Runs a command to completion, returning stdout; rejects with stderr's tail on a non-zero exit. */
export function run(
  command: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string | undefined>; timeoutMs?: number; onSpawn?: (pid: number) => void } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ["ignore", "pipe", "pipe"] });
    if (child.pid !== undefined) options.onSpawn?.(child.pid);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    const timer = options.timeoutMs ? setTimeout(() => child.kill("SIGKILL"), options.timeoutMs) : undefined;
    child.once("error", reject);
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out).toString("utf8");
      if (code === 0) resolve(stdout);
      else {
        const stderr = Buffer.concat(err).toString("utf8").trim();
        reject(new Error(`${command} ${args.slice(0, 3).join(" ")}… exited ${code ?? signal}: ${(stderr || stdout).slice(-2000)}`));
      }
    });
  });
}

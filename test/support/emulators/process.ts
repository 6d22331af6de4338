import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";

export interface RunningService {
  /** Base URL, e.g. http://127.0.0.1:PORT. */
  endpoint: string;
  port: number;
  /** Kills the process (SIGKILL) and waits for it to exit. */
  stop(): Promise<void>;
}

/**
 * Spawns a local emulator listening on 127.0.0.1:port and waits until the
 * port accepts connections. A missing binary or an early exit fails loudly
 * with how to install it: tests must never skip for a missing emulator.
 */
export async function spawnService(options: {
  name: string;
  command: string;
  args: string[];
  port: number;
  installHint: string;
  env?: NodeJS.ProcessEnv;
}): Promise<RunningService> {
  const { name, command, args, port, installHint } = options;
  const child: ChildProcess = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...options.env } });
  let output = "";
  const keep = (data: Buffer) => {
    output = (output + data.toString()).slice(-4000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const failed = new Promise<never>((_, reject) => {
    child.once("error", (err) => reject(new EmulatorMissing(`cannot start ${name} (${command}): ${err.message}. Install it: ${installHint}`)));
    child.once("exit", (code, signal) =>
      reject(new Error(`${name} exited before listening (code ${code}, signal ${signal}). Install it: ${installHint}\n${output}`)),
    );
  });
  try {
    await Promise.race([waitForPort(port, name), failed]);
  } catch (err) {
    child.kill("SIGKILL");
    throw err;
  }
  failed.catch(() => {}); // later exits are expected (stop())
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGKILL");
      }),
  };
}

async function waitForPort(port: number, name: string, timeoutMs = 45_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.end();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${name} did not start listening on port ${port} within ${timeoutMs} ms`);
}

/** The emulator's binary could not be run at all: retrying on another port will not help. */
export class EmulatorMissing extends Error {}

/**
 * Runs `start` on a free port, retrying with a new port when it fails:
 * between picking a free port and binding it, another process on this
 * shared machine may take it.
 */
export async function onFreePort<T>(start: (port: number) => Promise<T>, attempts = 3): Promise<T> {
  let lastError: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      return await start(await freePort());
    } catch (err) {
      if (err instanceof EmulatorMissing) throw err;
      lastError = err;
    }
  }
  throw lastError;
}

/** A TCP port nothing listens on right now (the OS picks it). */
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

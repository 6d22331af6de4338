import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { parseRssKb } from "../bench/lib/proc.js";

const ROOT = path.resolve(import.meta.dirname, "..");

/** The real gateway (bin/switchyard.js, as `npm start` runs it) on a loopback port, its log lines kept. */
export class GatewayProcess {
  readonly logs: Array<{ level: number; msg: string }> = [];
  readonly exited: Promise<number | null>;

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {
    this.exited = new Promise((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once("exit", (code) => resolve(code))));
  }

  static async start(config: unknown): Promise<GatewayProcess> {
    const dir = mkdtempSync(path.join(tmpdir(), "switchyard-chaos-"));
    const file = path.join(dir, "config.json");
    writeFileSync(file, JSON.stringify(config));
    const child = spawn(process.execPath, ["bin/switchyard.js", "serve", "--config", file, "--port", "0", "--host", "127.0.0.1"], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, LOG_LEVEL: "info" },
    });
    const logs: Array<{ level: number; msg: string }> = [];
    const url = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on("line", (line) => {
        try {
          const entry = JSON.parse(line) as { level: number; msg: string; url?: string };
          logs.push(entry);
          if (entry.msg === "ready" && entry.url) resolve(entry.url.replace("localhost", "127.0.0.1"));
        } catch {
          logs.push({ level: 60, msg: line });
        }
      });
      child.once("exit", (code) => reject(new Error(`gateway exited early with ${code}`)));
    });
    const gateway = new GatewayProcess(child, url);
    gateway.logs.push(...logs);
    logs.length = 0;
    // Later lines go straight to the instance's list.
    (logs as unknown as { push: (...e: Array<{ level: number; msg: string }>) => number }).push = (...e) => gateway.logs.push(...e);
    return gateway;
  }

  get pid(): number {
    return this.child.pid!;
  }

  rssMb(): number {
    return parseRssKb(readFileSync(`/proc/${this.pid}/status`, "utf8")) / 1024;
  }

  /** Log lines from `since` on, by level: what an operator tailing the logs sees. */
  levels(since = 0): { errors: number; warnings: number } {
    const lines = this.logs.slice(since);
    return { errors: lines.filter((l) => l.level >= 50).length, warnings: lines.filter((l) => l.level === 40).length };
  }

  terminate(): void {
    this.child.kill("SIGTERM");
  }

  async stop(): Promise<number | null> {
    this.terminate();
    return this.exited;
  }
}

import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";

const ROOT = path.resolve(import.meta.dirname, "../..");

/** A gateway started as its own OS process through the real CLI. */
export interface GatewayProcess {
  url: string;
  lines: string[];
  stop(): Promise<void>;
}

/** Writes `config` to a temp file and runs `switchyard serve` on it; resolves once it logs "ready". */
export async function startGatewayProcess(config: string, env: Record<string, string> = {}): Promise<GatewayProcess> {
  const file = path.join(mkdtempSync(path.join(tmpdir(), "sy-gw-")), "config.json");
  writeFileSync(file, config);
  const child: ChildProcess = spawn(
    path.join(ROOT, "node_modules/.bin/tsx"),
    ["src/main.ts", "serve", "--config", file, "--port", "0", "--host", "127.0.0.1"],
    { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, LOG_LEVEL: "debug", ...env } },
  );
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const lines: string[] = [];
  createInterface({ input: child.stderr! }).on("line", (line) => lines.push(line));
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on("line", (line) => {
      lines.push(line);
      const entry = JSON.parse(line) as { msg?: string; url?: string };
      if (entry.msg === "ready" && entry.url) resolve(entry.url);
    });
    child.once("exit", (code) => reject(new Error(`gateway exited early with ${code}: ${lines.join("\n")}`)));
  });
  return {
    url,
    lines,
    stop: async () => {
      child.kill("SIGTERM");
      await exited;
    },
  };
}

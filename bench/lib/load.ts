/** Runs one load test with the right tool and returns its parsed result. */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import type { Tools } from "./install.js";
import { fromGhz, fromStreamload, fromVegeta, type LoadResult } from "./load-results.js";
import { run } from "./process.js";

export type Target =
  /** An HTTP POST with a JSON body, whole response (vegeta). */
  | { kind: "http"; url: string; body: string; headers?: Record<string, string> }
  /** A unary gRPC call (ghz, schema from the repo's proto). */
  /** `connections`: HTTP/2 connections ghz spreads its callers over (default 2); a multi-worker gateway balances connections, not calls. */
  | { kind: "grpc"; address: string; call: string; json: string; connections?: number }
  /** A streaming call, timed to the first message and to the end (streamload). */
  | { kind: "stream"; mode: "sse" | "connect" | "grpc"; url: string; body: string | Uint8Array; headers?: Record<string, string> };

export interface LoadShape {
  /** Requests per second (open loop), or null for max throughput at `concurrency`. */
  rate: number | null;
  durationS: number;
  concurrency: number;
  timeoutS: number;
}

export interface LoadContext {
  tools: Tools;
  repoRoot: string;
  scratch: string;
}

export interface LoadHooks {
  /** Called with the pid of the process that generates the measured load (for CPU sampling). */
  onLoadProcess?: (pid: number) => void;
}

let fileCounter = 0;
async function scratchFile(ctx: LoadContext, name: string, content: string | Uint8Array): Promise<string> {
  const file = path.join(ctx.scratch, `${++fileCounter}-${name}`);
  await writeFile(file, content);
  return file;
}

export async function runLoad(ctx: LoadContext, target: Target, shape: LoadShape, hooks: LoadHooks = {}): Promise<LoadResult> {
  const hardTimeout = (shape.durationS + shape.timeoutS + 30) * 1000;
  if (target.kind === "http") {
    const bodyFile = await scratchFile(ctx, "body.json", target.body);
    const headerLines = Object.entries({ "Content-Type": "application/json", ...target.headers }).map(([k, v]) => `${k}: ${v}`);
    const targets = await scratchFile(ctx, "targets.txt", `POST ${target.url}\n${headerLines.join("\n")}\n@${bodyFile}\n`);
    const results = await scratchFile(ctx, "results.bin", "");
    const rateArgs = shape.rate === null ? ["-rate=0", `-workers=${shape.concurrency}`, `-max-workers=${shape.concurrency}`] : [`-rate=${shape.rate}/s`];
    await run(
      ctx.tools.vegeta,
      ["attack", `-targets=${targets}`, ...rateArgs, `-duration=${shape.durationS}s`, `-timeout=${shape.timeoutS}s`, "-keepalive=true", `-output=${results}`],
      { timeoutMs: hardTimeout, onSpawn: hooks.onLoadProcess },
    );
    return fromVegeta(await run(ctx.tools.vegeta, ["report", "-type=json", results]), shape.rate);
  }
  if (target.kind === "grpc") {
    // --async: requests leave on the rate's schedule without waiting for earlier answers (open loop).
    const rateArgs = shape.rate === null ? [] : [`--rps=${shape.rate}`, "--async"];
    const workers = shape.rate === null ? shape.concurrency : Math.max(shape.concurrency, 200);
    const out = await run(
      ctx.tools.ghz,
      [
        "--insecure",
        `--proto=${path.join(ctx.repoRoot, "proto", "switchyard", "v1", "inference.proto")}`,
        `--import-paths=${path.join(ctx.repoRoot, "proto")}`,
        `--call=${target.call}`,
        `--data=${target.json}`,
        ...rateArgs,
        `--concurrency=${workers}`,
        `--connections=${Math.min(target.connections ?? 2, workers)}`,
        `--duration=${shape.durationS}s`,
        "--duration-stop=wait",
        `--timeout=${shape.timeoutS}s`,
        "--format=json",
        "--skipFirst=0",
        target.address,
      ],
      { timeoutMs: hardTimeout, onSpawn: hooks.onLoadProcess },
    ).catch((err: Error) => {
      // ghz exits non-zero when any call failed but still prints its report.
      const json = err.message.slice(err.message.indexOf("{"));
      if (json.startsWith("{")) return json;
      throw err;
    });
    return fromGhz(out, shape.rate);
  }
  const bodyFile = await scratchFile(ctx, target.mode === "grpc" ? "body.bin" : "body.json", target.body);
  const headerArgs = Object.entries(target.headers ?? {}).flatMap(([k, v]) => ["-header", `${k}: ${v}`]);
  const out = await run(
    ctx.tools.streamload,
    [
      `-url=${target.url}`,
      `-mode=${target.mode}`,
      `-body-file=${bodyFile}`,
      `-rate=${shape.rate ?? 0}`,
      `-concurrency=${shape.concurrency}`,
      `-duration=${shape.durationS}s`,
      `-timeout=${shape.timeoutS}s`,
      ...headerArgs,
    ],
    { timeoutMs: hardTimeout, onSpawn: hooks.onLoadProcess },
  );
  return fromStreamload(out, shape.rate);
}

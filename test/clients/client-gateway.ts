import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Gateway } from "../../src/server/gateway.js";
import type { Clock } from "../../src/util/clock.js";
import { startTestGateway } from "../support/gateway.js";

/** Repository root, so suites run the same from any working directory. */
export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/**
 * The gateway every client suite (TypeScript, Python, Go) calls, with one
 * model group per behaviour under test. The numbers reach the Python and Go
 * suites through `clientSuiteEnv`, so no suite repeats them.
 */
export const CLIENT_SUITE = {
  /** Streams STREAM_CHUNKS content chunks CHUNK_DELAY_MS apart, then the final chunk. */
  streamModel: "mock",
  chunkCount: 4,
  // Large enough that a gap between arrivals still shows on a loaded 2-core machine.
  chunkDelayMs: 200,
  /** Answers only after SLOW_LATENCY_MS, far beyond every client deadline used. */
  slowModel: "slow",
  slowLatencyMs: 20_000,
  deadlineMs: 300,
  /** Streams for ~LONG_CHUNKS × LONG_CHUNK_DELAY_MS: long enough to cancel mid-way. */
  longModel: "long",
  longChunkCount: 100,
  longChunkDelayMs: 100,
  /** A model group that is not configured. */
  unknownModel: "no-such-model",
  /** Sent on every call; the gateway ignores it today, but clients must be able to pass it. */
  authorization: "Bearer sk-switchyard-test",
} as const;

const PROMPT_WORDS = 24; // enough words for every configured chunk count

export const CLIENT_SUITE_PROMPT = Array.from({ length: PROMPT_WORDS }, (_, i) => `word${i}`).join(" ");

/** `clock` drives the mock upstreams' latencies and chunk delays: the TypeScript suite, in process, passes a fake one. */
export function startClientSuiteGateway(options: { clock?: Clock } = {}): Promise<Gateway> {
  const s = CLIENT_SUITE;
  return startTestGateway(
    JSON.stringify({
      model_list: [
        { model_name: s.streamModel, provider: "mock", params: { model: "mock-1", mock: { chunk_count: s.chunkCount, chunk_delay_ms: s.chunkDelayMs } } },
        { model_name: s.slowModel, provider: "mock", params: { model: "mock-slow", mock: { latency_ms: s.slowLatencyMs } } },
        {
          model_name: s.longModel,
          provider: "mock",
          params: { model: "mock-long", mock: { chunk_count: s.longChunkCount, chunk_delay_ms: s.longChunkDelayMs } },
        },
      ],
    }),
    { clock: options.clock },
  );
}

/** The suite's parameters as environment variables for the Python and Go suites. */
export function clientSuiteEnv(gateway: Gateway): Record<string, string> {
  const s = CLIENT_SUITE;
  return {
    SWITCHYARD_ADDR: `127.0.0.1:${gateway.port}`,
    SWITCHYARD_URL: gateway.url,
    SWITCHYARD_PROMPT: CLIENT_SUITE_PROMPT,
    SWITCHYARD_STREAM_MODEL: s.streamModel,
    SWITCHYARD_CHUNK_COUNT: String(s.chunkCount),
    SWITCHYARD_CHUNK_DELAY_MS: String(s.chunkDelayMs),
    SWITCHYARD_SLOW_MODEL: s.slowModel,
    SWITCHYARD_DEADLINE_MS: String(s.deadlineMs),
    SWITCHYARD_LONG_MODEL: s.longModel,
    SWITCHYARD_LONG_STREAM_MS: String(s.longChunkCount * s.longChunkDelayMs),
    SWITCHYARD_UNKNOWN_MODEL: s.unknownModel,
    SWITCHYARD_AUTHORIZATION: s.authorization,
  };
}

export interface SuiteRun {
  exitCode: number | null;
  output: string;
}

/**
 * Runs another language's test suite as a child process and collects its
 * combined output, so a failure shows exactly what that suite printed.
 * A missing interpreter or toolchain is an error here, never a skip.
 */
export function runSuite(command: string, args: string[], options: { cwd: string; env: Record<string, string>; timeoutMs: number }): Promise<SuiteRun> {
  if (command.includes("/") && !existsSync(command)) {
    throw new Error(`${command} is missing: run .ci/setup.d/20-codegen-and-clients.sh to install the client suites' toolchains`);
  }
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (data: Buffer) => (output += data.toString()));
    child.stderr.on("data", (data: Buffer) => (output += data.toString()));
    const timer = setTimeout(() => {
      output += `\n[killed after ${options.timeoutMs} ms]`;
      child.kill("SIGKILL");
    }, options.timeoutMs);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${command}: ${err.message} (run .ci/setup.d/20-codegen-and-clients.sh)`));
    });
    child.on("close", (exitCode) => {
      clearTimeout(timer);
      resolve({ exitCode, output });
    });
  });
}

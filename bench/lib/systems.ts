/**
 * How to start each system under test on a loopback port, and the request
 * targets it serves. Every gateway is pointed at the same mock upstream.
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { stringify as toYaml } from "yaml";
import { freePort, httpOk, startProcess, waitUntilReady, type Started } from "./process.js";
import { switchyardConfig, variantId, type SwitchyardVariant, type UpstreamMode } from "./switchyard-config.js";
import { GROUP, UPSTREAM, UPSTREAM_MODEL } from "./workload.js";

export interface RunningSystem extends Started {
  port: number;
  url: string;
}

export interface Dirs {
  repoRoot: string;
  scratch: string;
  logs: string;
}

const NODE = process.execPath;

/** Which Node binary runs a Switchyard checkout, and whether from compiled dist/ or TypeScript via the checkout's own tsx. */
export interface SwitchyardRuntime {
  node: string;
  source: "dist" | "tsx";
  /** Extra environment for the gateway process, e.g. SWITCHYARD_GRPC_FAST_PATH=0 to measure a checkout against itself with a switch flipped. */
  env?: Record<string, string>;
}

export async function startUpstream(dirs: Dirs): Promise<RunningSystem> {
  const port = await freePort();
  const proc = startProcess({
    name: "mock-upstream",
    command: NODE,
    args: [
      "--import",
      "tsx",
      "bench/mock-upstream/main.ts",
      `--port=${port}`,
      `--latency-ms=${UPSTREAM.latencyMs}`,
      `--chunk-delay-ms=${UPSTREAM.chunkDelayMs}`,
      `--chunk-count=${UPSTREAM.chunkCount}`,
      `--text=${UPSTREAM.text}`,
    ],
    cwd: dirs.repoRoot,
    logFile: path.join(dirs.logs, "mock-upstream.log"),
  });
  const url = `http://127.0.0.1:${port}`;
  await waitUntilReady(proc, () => httpOk(`${url}/health`), 30_000);
  return { ...proc, port, url };
}

export async function startSwitchyard(
  dirs: Dirs,
  variant: SwitchyardVariant,
  mode: UpstreamMode,
  upstreamUrl: string,
  options: { cpuProfileDir?: string; runtime?: SwitchyardRuntime } = {},
): Promise<RunningSystem> {
  const port = await freePort();
  const id = variantId(variant);
  const runtime = options.runtime ?? { node: NODE, source: "dist" };
  const configFile = path.join(dirs.scratch, `${id}.json`);
  const config = switchyardConfig(variant, mode, upstreamUrl);
  // A checkout from before server_settings.workers existed rejects the unknown key; it only ever had one loop.
  if (runtime.source === "tsx") delete (config.server_settings as Record<string, unknown>).workers;
  await writeFile(configFile, JSON.stringify(config, null, 2));
  const profileArgs = options.cpuProfileDir ? ["--cpu-prof", `--cpu-prof-dir=${options.cpuProfileDir}`] : [];
  // "dist": the compiled gateway, as `npm start` runs it (run.ts builds dist/ first); "tsx": an older
  // checkout that ran TypeScript through its own tsx (`npm start` was `tsx src/main.ts serve`).
  const entry = runtime.source === "dist" ? ["dist/src/main.js"] : ["--import", "tsx", "src/main.ts"];
  const proc = startProcess({
    name: id,
    command: runtime.node,
    args: [...profileArgs, ...entry, "serve", "--config", configFile, "--port", String(port), "--host", "127.0.0.1"],
    cwd: dirs.repoRoot,
    env: { LOG_LEVEL: "warn", ...runtime.env },
    logFile: path.join(dirs.logs, `${id}.log`),
  });
  const url = `http://127.0.0.1:${port}`;
  await waitUntilReady(
    proc,
    () => httpOk(`${url}/switchyard.v1.InferenceService/ListModels`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" }),
    60_000,
  );
  return { ...proc, port, url };
}

/** The framework floor (bench/floor/server.ts): connect-node + one undici call, no gateway logic. */
export async function startFloor(dirs: Dirs, upstreamUrl: string | "constant"): Promise<RunningSystem> {
  const port = await freePort();
  const proc = startProcess({
    name: "floor",
    command: NODE,
    args: ["--import", "tsx", "bench/floor/server.ts", `--port=${port}`, upstreamUrl === "constant" ? "--constant" : `--upstream=${upstreamUrl}`],
    cwd: dirs.repoRoot,
    logFile: path.join(dirs.logs, upstreamUrl === "constant" ? "floor-constant.log" : "floor.log"),
  });
  const url = `http://127.0.0.1:${port}`;
  await waitUntilReady(
    proc,
    () => httpOk(`${url}/switchyard.v1.InferenceService/Complete`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"model":"bench"}' }),
    60_000,
  );
  return { ...proc, port, url };
}

export async function startLitellm(dirs: Dirs, bin: string, upstreamUrl: string): Promise<RunningSystem> {
  const port = await freePort();
  const configFile = path.join(dirs.scratch, "litellm.yaml");
  await writeFile(
    configFile,
    toYaml({
      model_list: [{ model_name: GROUP, litellm_params: { model: `openai/${UPSTREAM_MODEL}`, api_base: `${upstreamUrl}/v1`, api_key: "sk-bench" } }],
      litellm_settings: { drop_params: true, telemetry: false },
    }),
  );
  const proc = startProcess({
    name: "litellm",
    command: bin,
    args: ["--config", configFile, "--host", "127.0.0.1", "--port", String(port), "--num_workers", "1"],
    cwd: dirs.scratch,
    // The local cost map: the proxy otherwise fetches it from the internet at start.
    env: { LITELLM_LOCAL_MODEL_COST_MAP: "True", LITELLM_LOG: "ERROR", LITELLM_TELEMETRY: "False" },
    logFile: path.join(dirs.logs, "litellm.log"),
  });
  const url = `http://127.0.0.1:${port}`;
  await waitUntilReady(proc, () => httpOk(`${url}/health/liveliness`), 120_000);
  return { ...proc, port, url };
}

export async function startPortkey(dirs: Dirs, entry: string): Promise<RunningSystem> {
  const port = await freePort();
  const proc = startProcess({
    name: "portkey",
    command: NODE,
    args: ["--import", path.join(dirs.repoRoot, "bench", "peers", "loopback-only.mjs"), entry, `--port=${port}`, "--headless"],
    cwd: path.dirname(entry),
    env: { NODE_ENV: "production" },
    logFile: path.join(dirs.logs, "portkey.log"),
  });
  const url = `http://127.0.0.1:${port}`;
  await waitUntilReady(proc, () => httpOk(`${url}/`), 60_000);
  return { ...proc, port, url };
}

/** Headers that make Portkey forward to our upstream as an OpenAI provider. */
export function portkeyHeaders(upstreamUrl: string): Record<string, string> {
  return { "x-portkey-provider": "openai", "x-portkey-custom-host": `${upstreamUrl}/v1`, authorization: "Bearer sk-bench" };
}

export async function startRedis(dirs: Dirs): Promise<RunningSystem> {
  const port = await freePort();
  const proc = startProcess({
    name: "redis",
    command: "redis-server",
    args: ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    cwd: dirs.scratch,
    logFile: path.join(dirs.logs, "redis.log"),
  });
  const { createConnection } = await import("node:net");
  await waitUntilReady(
    proc,
    () =>
      new Promise<boolean>((resolve) => {
        const socket = createConnection({ port, host: "127.0.0.1" }, () => socket.end("PING\r\n"));
        socket.once("data", (d) => resolve(d.toString().startsWith("+PONG")));
        socket.once("error", () => resolve(false));
      }),
    20_000,
  );
  return { ...proc, port, url: `redis://127.0.0.1:${port}` };
}

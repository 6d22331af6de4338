/**
 * The `switchyard` command:
 *   switchyard serve [--config FILE] [--port N] [--watch-config]   start the gateway (default: embedded mock config, port 4000);
 *                                                 SIGHUP (or --watch-config on a file change) reloads the config
 *   switchyard validate-config FILE               check a config file; exit 1 with every problem listed
 */
import { parseArgs } from "node:util";
import { ConfigError } from "./config/config-error.js";
import { loadRouterConfig } from "./cli/load-router-config.js";
import type { RouterConfig } from "../gen/ts/switchyard/v1/config_pb.js";
import { resolveWorkers } from "./config/resolve.js";
import { createLogger, type Logger } from "./observability/logger.js";
import { builtinProviders } from "./providers/registry.js";
import { startGateway } from "./server/gateway.js";
import { WorkerPool } from "./server/workers/worker-pool.js";

const USAGE = `usage:
  switchyard serve [--config FILE] [--port N] [--host ADDR] [--watch-config]
  switchyard validate-config FILE`;

async function serve(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: "string", short: "c" },
      port: { type: "string", short: "p" },
      host: { type: "string" },
      "watch-config": { type: "boolean" },
    },
  });
  const logger = createLogger();
  const providers = builtinProviders();
  const { config, source } = await loadRouterConfig(values.config ?? process.env.SWITCHYARD_CONFIG, providers);
  const portText = values.port ?? (process.env.PORT || undefined);
  const port = portText === undefined ? undefined : Number(portText);
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535)) throw new Error(`--port: "${portText}" is not a TCP port`);

  const workers = servingWorkers(config, logger);
  const configFile = values.config ?? process.env.SWITCHYARD_CONFIG;
  if (workers > 1) {
    const pool = await WorkerPool.start({ config, workers, port, host: values.host, logger, providers, configFile, watchConfig: values["watch-config"] });
    // SIGHUP reloads the config file in every worker; a bad one is logged and the running config keeps serving.
    process.on("SIGHUP", () => void pool.reloader.reloadAndLog("SIGHUP"));
    logger.info({ config: source, url: `http://localhost:${pool.port}`, workers }, "ready");
    return await untilStopped(pool, logger);
  }
  const gateway = await startGateway({ config, port, host: values.host, logger, providers, configFile, watchConfig: values["watch-config"] });
  // SIGHUP reloads the config file; a bad one is logged and the running config keeps serving.
  const onHangup = () => void gateway.reloader.reloadAndLog("SIGHUP");
  process.on("SIGHUP", onHangup);
  logger.info({ config: source, url: gateway.url, workers }, "ready");
  const code = await untilStopped(gateway, logger);
  process.off("SIGHUP", onHangup);
  return code;
}

/** Serves until SIGTERM or SIGINT, then drains (see Gateway.close) and returns the exit code. */
async function untilStopped(gateway: { close(): Promise<void> }, logger: Logger): Promise<number> {
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.info({ signal }, "shutting down");
      void gateway.close().then(resolve);
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
  });
  logger.info("stopped");
  return 0;
}

/** server_settings.workers, where the platform can spread one port over several listeners. */
function servingWorkers(config: RouterConfig, logger: Logger): number {
  const workers = resolveWorkers(config.serverSettings?.workers);
  // SO_REUSEPORT balances connections over listeners on Linux only; elsewhere extra workers would sit idle or be refused.
  if (workers > 1 && process.platform !== "linux") {
    logger.warn({ workers, platform: process.platform }, "server_settings.workers > 1 needs Linux (SO_REUSEPORT); serving with 1");
    return 1;
  }
  // The embedded key store is one file with one writer; spend written from several threads would race (README, "Access control").
  if (workers > 1 && config.authSettings?.masterKey && !config.redis) {
    logger.warn({ workers }, "auth_settings without redis keeps keys in one file with one writer; serving with 1 worker (configure redis to use every core)");
    return 1;
  }
  return workers;
}

async function validateConfig(args: string[]): Promise<number> {
  const file = args[0];
  if (!file) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const { config } = await loadRouterConfig(file, builtinProviders());
  const groups = new Set(config.modelList.map((d) => d.modelName));
  process.stdout.write(`${file}: ok (${config.modelList.length} deployments in ${groups.size} model groups)\n`);
  return 0;
}

/** The oldest Node major the gateway runs on; `npm install` puts a pinned newer one in node_modules/.bin (README, "Runtime"). */
const MIN_NODE_MAJOR = 24;

async function main(argv: string[]): Promise<number> {
  const nodeMajor = Number(process.versions.node.split(".")[0]);
  if (nodeMajor < MIN_NODE_MAJOR) {
    process.stderr.write(`switchyard: needs Node >= ${MIN_NODE_MAJOR}, running ${process.version}; run it through npm (npm start) or node_modules/.bin/node\n`);
    return 1;
  }
  const [command = "serve", ...rest] = argv;
  try {
    if (command === "serve") return await serve(rest);
    if (command === "validate-config") return await validateConfig(rest);
    process.stderr.write(`unknown command "${command}"\n${USAGE}\n`);
    return 2;
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return 1;
    }
    process.stderr.write(`switchyard: ${(err as Error).message}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));

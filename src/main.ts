/**
 * The `switchyard` command:
 *   switchyard serve [--config FILE] [--port N] [--watch-config]   start the gateway (default: embedded mock config, port 4000);
 *                                                 SIGHUP (or --watch-config on a file change) reloads the config
 *   switchyard validate-config FILE               check a config file; exit 1 with every problem listed
 */
import { parseArgs } from "node:util";
import { ConfigError } from "./config/config-error.js";
import { loadRouterConfig } from "./cli/load-router-config.js";
import { createLogger } from "./observability/logger.js";
import { builtinProviders } from "./providers/registry.js";
import { startGateway } from "./server/gateway.js";

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

  const configFile = values.config ?? process.env.SWITCHYARD_CONFIG;
  const gateway = await startGateway({ config, port, host: values.host, logger, providers, configFile, watchConfig: values["watch-config"] });
  // SIGHUP reloads the config file; a bad one is logged and the running config keeps serving.
  const onHangup = () => void gateway.reloader.reloadAndLog("SIGHUP");
  process.on("SIGHUP", onHangup);
  logger.info({ config: source, url: gateway.url }, "ready");

  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.info({ signal }, "shutting down");
      void gateway.close().then(resolve);
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
  });
  process.off("SIGHUP", onHangup);
  logger.info("stopped");
  return 0;
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

async function main(argv: string[]): Promise<number> {
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

import { create } from "@bufbuild/protobuf";
import { watch, type FSWatcher } from "node:fs";
import { ReloadConfigResponseSchema, type ReloadConfigResponse } from "../../gen/ts/switchyard/v1/admin_pb.js";
import type { RouterConfig } from "../../gen/ts/switchyard/v1/config_pb.js";
import type { Logger } from "../observability/logger.js";
import type { ProviderRegistry } from "../providers/registry.js";
import { DeploymentRuntime } from "../router/deployment-runtime.js";
import type { LiveRouter } from "../router/live-router.js";
import { Router } from "../router/router.js";
import type { Clock } from "../util/clock.js";
import { ConfigError } from "./config-error.js";
import { loadConfigFile, parseConfig } from "./load.js";
import { resolveConfig } from "./resolve.js";
import type { Env } from "./schema-check.js";

export interface ReloaderDeps {
  live: LiveRouter;
  providers: ProviderRegistry;
  clock: Clock;
  logger: Logger;
  /** The file the gateway was started with; without one only config text can be reloaded. */
  file?: string;
  env?: Env;
}

/** Changes in a file are often several writes: wait this long after the last one before reloading, ms. */
const WATCH_SETTLE_MS = 200;

/**
 * Hot reload of the routing config (model_list, router_settings): parses
 * and validates exactly like validate-config, so a bad config is refused
 * with the same errors and the running one keeps serving; a good one gets
 * a new DeploymentRuntime (new adapters) and a new Router over the same
 * state store (deployment state carries over by id), and the old one
 * finishes its in-flight calls before its runtime closes. Settings read only at
 * start (server, cache, auth, redis) need a restart.
 */
export class ConfigReloader {
  private watcher?: FSWatcher;
  private settle?: NodeJS.Timeout;
  /** Reloads run one at a time, in order. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: ReloaderDeps) {}

  /** Loads `text`, or the file again when empty; throws ConfigError when the config is invalid. */
  reload(text = ""): Promise<ReloadConfigResponse> {
    const run = this.queue.then(() => this.apply(text));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Reloads whenever the file changes (SIGHUP and ReloadConfig work without this). */
  watchFile(): void {
    const file = this.deps.file;
    if (!file || this.watcher) return;
    this.watcher = watch(file, () => {
      clearTimeout(this.settle);
      this.settle = setTimeout(() => void this.reloadAndLog("file change"), WATCH_SETTLE_MS);
    });
  }

  /** For signals and the file watch: a failure is logged, never thrown. */
  async reloadAndLog(trigger: string): Promise<void> {
    try {
      const result = await this.reload();
      this.deps.logger.info({ trigger, added: result.addedDeployments, removed: result.removedDeployments }, "config reloaded");
    } catch (err) {
      this.deps.logger.error({ trigger, err: (err as Error).message }, "config reload refused; the previous config keeps serving");
    }
  }

  close(): void {
    clearTimeout(this.settle);
    this.watcher?.close();
    this.watcher = undefined;
  }

  private async apply(text: string): Promise<ReloadConfigResponse> {
    const { live, providers, clock, logger } = this.deps;
    let source: RouterConfig;
    if (text) {
      source = parseConfig(text, "ReloadConfig.config_text", { providers, env: this.deps.env });
    } else if (this.deps.file) {
      source = await loadConfigFile(this.deps.file, { providers, env: this.deps.env });
    } else {
      throw new ConfigError("ReloadConfig", [{ path: "", message: "the gateway was started without a config file: send config_text" }]);
    }
    const old = live.config;
    const runtime = new DeploymentRuntime(resolveConfig(source, providers), providers, { clock });
    const next = new Router(runtime, { clock, store: live.router.store, logger });
    live.swap(next);
    const before = new Set(old.deployments.map((d) => d.id));
    const after = new Set(next.config.deployments.map((d) => d.id));
    return create(ReloadConfigResponseSchema, {
      addedDeployments: [...after].filter((id) => !before.has(id)),
      removedDeployments: [...before].filter((id) => !after.has(id)),
      keptDeployments: [...after].filter((id) => before.has(id)),
    });
  }
}

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

/** Puts a parsed, validated config into service and says which deployments were added, removed and kept. */
export type ApplyConfig = (source: RouterConfig) => Promise<ReloadConfigResponse>;

export interface ReloaderDeps {
  providers: ProviderRegistry;
  logger: Logger;
  /** What a new config is applied to: this process's router (swapRouter), or every worker thread of a pool. */
  apply: ApplyConfig;
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
    return this.inTurn(async () => this.deps.apply(await this.load(text)));
  }

  /** Applies a config another thread already parsed and validated (a worker thread told by its pool). */
  applyValidated(source: RouterConfig): Promise<ReloadConfigResponse> {
    return this.inTurn(() => this.deps.apply(source));
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

  private inTurn(run: () => Promise<ReloadConfigResponse>): Promise<ReloadConfigResponse> {
    const turn = this.queue.then(run);
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  /** Parses and validates exactly like validate-config. */
  private async load(text: string): Promise<RouterConfig> {
    const { providers, env, file } = this.deps;
    if (text) return parseConfig(text, "ReloadConfig.config_text", { providers, env });
    if (file) return loadConfigFile(file, { providers, env });
    throw new ConfigError("ReloadConfig", [{ path: "", message: "the gateway was started without a config file: send config_text" }]);
  }
}

/** Which deployment ids a reload adds, removes and keeps. */
export function deploymentChanges(before: Iterable<string>, after: Iterable<string>): ReloadConfigResponse {
  const old = new Set(before);
  const next = new Set(after);
  return create(ReloadConfigResponseSchema, {
    addedDeployments: [...next].filter((id) => !old.has(id)),
    removedDeployments: [...old].filter((id) => !next.has(id)),
    keptDeployments: [...next].filter((id) => old.has(id)),
  });
}

/**
 * Applies a config to this process's router: a new DeploymentRuntime (new
 * adapters) and Router over the same state store, swapped in; the old one
 * finishes its in-flight calls before its runtime closes.
 */
export function swapRouter(live: LiveRouter, deps: { providers: ProviderRegistry; clock: Clock; logger: Logger }): ApplyConfig {
  return async (source) => {
    const old = live.config;
    const runtime = new DeploymentRuntime(resolveConfig(source, deps.providers), deps.providers, { clock: deps.clock });
    const next = new Router(runtime, { clock: deps.clock, store: live.router.store, logger: deps.logger });
    live.swap(next);
    return deploymentChanges(
      old.deployments.map((d) => d.id),
      next.config.deployments.map((d) => d.id),
    );
  };
}

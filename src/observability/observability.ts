import http from "node:http";
import type net from "node:net";
import type { Interceptor } from "@connectrpc/connect";
import type { SpanExporter } from "@opentelemetry/sdk-trace-base";
import { DeploymentHealth } from "../../gen/ts/switchyard/v1/admin_pb.js";
import type { RouterConfig } from "../../gen/ts/switchyard/v1/config_pb.js";
import type { ResolvedConfig } from "../config/resolve.js";
import { healthOf } from "../router/cooldowns.js";
import type { DeploymentStateStore } from "../router/state/state-store.js";
import { withHttpRoutes, writeHead, type HttpRoute } from "../server/http-routes.js";
import type { Clock } from "../util/clock.js";
import type { Logger } from "./logger.js";
import { GatewayMetrics, type DeploymentStateName, type DeploymentStateSample } from "./metrics.js";
import { metricsRoute } from "./metrics-route.js";
import { observabilityInterceptor } from "./observability-interceptor.js";
import { resolveObservability, type ResolvedObservability } from "./settings.js";
import { Tracing } from "./tracing.js";

export interface ObservabilityDeps {
  logger: Logger;
  clock: Clock;
  store: DeploymentStateStore;
  /** Tests: spans go here (one by one) instead of to the OTLP endpoint; tracing is on even without an endpoint. */
  spanExporter?: SpanExporter;
  /** Dice for access-log sampling. */
  random?: () => number;
  env?: NodeJS.ProcessEnv;
}

const STATE_NAMES: Partial<Record<DeploymentHealth, DeploymentStateName>> = {
  [DeploymentHealth.HEALTHY]: "healthy",
  [DeploymentHealth.COOLDOWN]: "cooldown",
  [DeploymentHealth.HALF_OPEN]: "half_open",
  [DeploymentHealth.UNHEALTHY]: "unhealthy",
};

/**
 * The gateway's metrics registry, tracer and access log, built from the
 * config's `observability` settings. Owns the tracer provider and the
 * optional metrics-only listener, and closes them.
 */
export class Observability {
  private metricsServer?: http.Server;

  private constructor(
    readonly settings: ResolvedObservability,
    readonly metrics: GatewayMetrics | undefined,
    readonly tracing: Tracing | undefined,
    private readonly logger: Logger,
    private readonly random: (() => number) | undefined,
  ) {}

  static create(config: RouterConfig, currentConfig: () => ResolvedConfig, deps: ObservabilityDeps): Observability {
    const settings = resolveObservability(config, deps.env);
    const metrics = settings.metricsEnabled
      ? new GatewayMetrics(deploymentStates(currentConfig, deps.store, deps.clock), { keyAliasLabel: settings.keyAliasLabel })
      : undefined;
    const tracingSettings =
      settings.tracing ?? (deps.spanExporter ? { otlpEndpoint: "", serviceName: "switchyard", samplingRatio: 1, recordContent: false } : undefined);
    const tracing = tracingSettings ? Tracing.create(tracingSettings, deps.spanExporter) : undefined;
    return new Observability(settings, metrics, tracing, deps.logger, deps.random);
  }

  interceptor(): Interceptor {
    return observabilityInterceptor({
      metrics: this.metrics,
      tracing: this.tracing,
      accessLog: this.settings.accessLog.enabled ? { logger: this.logger, sampleRatio: this.settings.accessLog.sampleRatio } : undefined,
      random: this.random,
    });
  }

  /** Plain-HTTP routes for the gateway's port: GET /metrics when metrics are on. */
  httpRoutes(): HttpRoute[] {
    return this.metrics ? [metricsRoute(this.metrics, this.logger)] : [];
  }

  /** Starts the metrics-only listener when server_settings.metrics_port is set (0 picks a free port); returns its port. */
  async listenMetrics(host: string, portOverride?: number): Promise<number | undefined> {
    const port = portOverride ?? this.settings.metricsPort;
    if (port === undefined || !this.metrics) return undefined;
    const metricsOnly = withHttpRoutes([metricsRoute(this.metrics, this.logger)], (_req, res) => {
      writeHead(res, 404, { "content-type": "text/plain" });
      res.end("only GET /metrics is served on this port\n");
    });
    const server = http.createServer(metricsOnly);
    this.metricsServer = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => resolve());
    });
    return (server.address() as net.AddressInfo).port;
  }

  async close(): Promise<void> {
    const server = this.metricsServer;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    await this.tracing?.close();
  }
}

/** switchyard_deployment_state at scrape time, from the state store (with Redis: the fleet's view), for the deployments of the config serving now (hot reload changes them). */
function deploymentStates(currentConfig: () => ResolvedConfig, store: DeploymentStateStore, clock: Clock): () => Promise<DeploymentStateSample[]> {
  return async () => {
    const config = currentConfig();
    const stats = await store.stats(config.deployments.map((d) => d.id));
    const now = clock.now();
    return config.deployments.map((d) => ({ deployment: d.id, state: STATE_NAMES[healthOf(stats.get(d.id)!, now)] ?? "healthy" }));
  };
}

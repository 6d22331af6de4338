import { setMaxListeners } from "node:events";
import { Code, ConnectError, createRouterTransport, type ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { file_google_rpc_error_details } from "../../gen/ts/google/rpc/error_details_pb.js";
import { file_grpc_health_v1_health, Health } from "../../gen/ts/grpc/health/v1/health_pb.js";
import { file_grpc_reflection_v1_reflection, ServerReflection as ReflectionV1 } from "../../gen/ts/grpc/reflection/v1/reflection_pb.js";
import {
  file_grpc_reflection_v1alpha_reflection,
  ServerReflection as ReflectionV1alpha,
} from "../../gen/ts/grpc/reflection/v1alpha/reflection_pb.js";
import type { RouterConfig } from "../../gen/ts/switchyard/v1/config_pb.js";
import { file_switchyard_v1_config } from "../../gen/ts/switchyard/v1/config_pb.js";
import { AdminService, file_switchyard_v1_admin } from "../../gen/ts/switchyard/v1/admin_pb.js";
import { file_switchyard_v1_inference, InferenceService } from "../../gen/ts/switchyard/v1/inference_pb.js";
import { resolveConfig, type ResolvedConfig } from "../config/resolve.js";
import { isGatewayError } from "../errors/gateway-error.js";
import { silentLogger, type Logger } from "../observability/logger.js";
import { builtinProviders, type ProviderRegistry } from "../providers/registry.js";
import { ProviderOptionsGuard } from "../providers/owned-fields.js";
import { decodeErrorCodesGate } from "./decode-error-codes.js";
import { Router } from "../router/router.js";
import { DeploymentRuntime } from "../router/deployment-runtime.js";
import { routerStateReader } from "../router/router-state.js";
import { deploymentController } from "../router/deployment-control.js";
import { LiveRouter } from "../router/live-router.js";
import { ConfigReloader } from "../config/reload.js";
import { createStateStore, type DeploymentStateStore } from "../router/state/index.js";
import { systemClock, type Clock } from "../util/clock.js";
import { compatHttpRoutes } from "../compat/index.js";
import { DualProtocolServer } from "./dual-protocol-server.js";
import { tlsOptions } from "./tls.js";
import { withHttpRoutes } from "./http-routes.js";
import { Observability, type ObservabilityDeps } from "../observability/observability.js";
import { createGatewayCache, type GatewayCache } from "../cache/index.js";
import { adminService, type AdminCache } from "./admin-service.js";
import { authIdentityKey, authInterceptor, createAuthenticator, keyAdmin, type Authenticator } from "../auth/index.js";
import { errorMappingInterceptor } from "./error-interceptor.js";
import { HealthStatus, healthService, ServingStatus } from "./health.js";
import { inferenceService } from "./inference-service.js";
import { ReflectionIndex, reflectionServiceV1, reflectionServiceV1alpha, registryOf } from "./reflection.js";

/** Counts of call endings that are not failures. */
export interface CallCounters {
  /** Calls the client cancelled (or reset, or let its deadline pass) before they finished. */
  cancelled: number;
}

export interface GatewayOptions {
  config: RouterConfig;
  /** Overrides server_settings.port; 0 picks a free port. */
  port?: number;
  host?: string;
  providers?: ProviderRegistry;
  clock?: Clock;
  logger?: Logger;
  /** Routing state; default from the config (Redis when configured, else this process's memory). Worker threads pass their shared-memory store. */
  stateStore?: DeploymentStateStore;
  /** Wraps what the cache admin RPCs reach, e.g. so a worker thread's InvalidateCache and GetCacheStats cover its sibling workers. */
  adminCache?: (cache: GatewayCache) => AdminCache;
  /** Listen with SO_REUSEPORT, so sibling worker threads can each listen on the same port. */
  reusePort?: boolean;
  /** Metrics, tracing and access log; tests pass a span exporter here. */
  observability?: Pick<ObservabilityDeps, "spanExporter" | "random" | "env">;
  /** Overrides server_settings.metrics_port; 0 picks a free port. */
  metricsPort?: number;
  /** The file `config` came from: ReloadConfig with no text, SIGHUP and the file watch re-read it. */
  configFile?: string;
  /** Reload when configFile changes. */
  watchConfig?: boolean;
  /** False in a worker thread: a reload there would change one worker's config only (README, "Runtime"). */
  reloadable?: boolean;
}

/** After draining, how long connections may take to flush their last bytes before being cut, ms. */
const FLUSH_MS = 1_000;

/** A running gateway: one port serving Connect, gRPC and gRPC-Web. */
export class Gateway {
  private closing?: Promise<void>;

  constructor(
    readonly port: number,
    readonly config: ResolvedConfig,
    readonly health: HealthStatus,
    private readonly server: DualProtocolServer,
    private readonly shutdown: AbortController,
    private readonly logger: Logger,
    private readonly router: LiveRouter,
    /** Calls by how they ended, beyond what GetRouterState shows. */
    readonly callCounters: Readonly<CallCounters>,
    /** Hot reload of model_list and router_settings (ReloadConfig, SIGHUP, file watch). */
    readonly reloader: ConfigReloader,
    /** The response cache, when cache_settings.enabled. */
    readonly cache?: GatewayCache,
    /** Key checks, when auth_settings.master_key is set. */
    readonly auth?: Authenticator,
    readonly observability?: Observability,
    /** The metrics-only listener's port, when server_settings.metrics_port is set. */
    readonly metricsPort?: number,
  ) {}

  get url(): string {
    return `${this.config.source.serverSettings?.tls ? "https" : "http"}://127.0.0.1:${this.port}`;
  }

  /**
   * Graceful stop: report NOT_SERVING, stop accepting, let in-flight calls
   * finish for up to `graceMs`, then cancel the rest with UNAVAILABLE and
   * close every connection.
   */
  close(graceMs = this.config.server.shutdownGraceMs): Promise<void> {
    this.closing ??= (async () => {
      this.health.setAllNotServing();
      const remaining = await this.server.drain(graceMs);
      if (remaining > 0) {
        this.logger.warn({ remaining }, "grace period over; cancelling in-flight calls");
        this.shutdown.abort(new ConnectError("the gateway is shutting down", Code.Unavailable));
        await this.server.drain(Math.min(1000, graceMs));
      }
      await this.server.close(FLUSH_MS);
      this.reloader.close();
      await this.router.close(); // adapters of the current config and of any still retiring, then the router
      await this.cache?.close();
      await this.auth?.store.close();
      await this.observability?.close();
    })();
    return this.closing;
  }
}

const SERVED_FILES = [
  file_switchyard_v1_inference,
  file_switchyard_v1_admin,
  file_switchyard_v1_config,
  file_grpc_health_v1_health,
  file_grpc_reflection_v1_reflection,
  file_grpc_reflection_v1alpha_reflection,
  // Not a service, but clients need it to decode the error details we send.
  file_google_rpc_error_details,
];

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const logger = options.logger ?? silentLogger;
  const providers = options.providers ?? builtinProviders();
  const clock = options.clock ?? systemClock;
  const config = resolveConfig(options.config, providers);
  const runtime = new DeploymentRuntime(config, providers, { clock });
  const router = new LiveRouter(new Router(runtime, { clock, store: options.stateStore ?? createStateStore(config, clock, logger), logger }));
  const reloader = new ConfigReloader({ live: router, providers, clock, logger, file: options.configFile });
  const cache = await createGatewayCache(config.cache, { clock, logger });
  const auth = createAuthenticator(options.config, config.redis, { clock, logger });
  try {
    await auth?.store.start();
  } catch (err) {
    await Promise.all([router.close(), cache?.close()]);
    throw err;
  }
  const observability = Observability.create(options.config, config, { logger, clock, store: router.router.store, ...options.observability });
  const health = new HealthStatus();
  const shutdown = new AbortController();
  // connect links every call's signal to this one; thousands of concurrent calls are normal, not a leak.
  setMaxListeners(0, shutdown.signal);

  const services = [InferenceService, AdminService, Health, ReflectionV1, ReflectionV1alpha];
  const reflection = new ReflectionIndex(
    registryOf(SERVED_FILES),
    services.map((s) => s.typeName),
  );
  const adminCache = cache && options.adminCache ? options.adminCache(cache) : cache;
  const routes = (r: ConnectRouter) => {
    r.service(InferenceService, inferenceService(cache ? cache.inFrontOf(router) : router, { guard: new ProviderOptionsGuard(providers), limits: config.server.limits }));
    r.service(
      AdminService,
      adminService({
        routerState: routerStateReader(() => router.config, router.router.store, clock, () => router.router.waitQueueState()),
        deploymentControl: deploymentController(() => router.config, router.router.store, clock),
        reloadConfig:
          options.reloadable === false
            ? () => {
                throw new ConnectError("ReloadConfig needs server_settings.workers: 1; with several workers, restart to apply a new config", Code.FailedPrecondition);
              }
            : (request) => reloader.reload(request.configText),
        cache: adminCache,
        keys: keyAdmin(auth),
      }),
    );
    r.service(Health, healthService(health));
    if (config.server.reflection) {
      r.service(ReflectionV1, reflectionServiceV1(reflection));
      r.service(ReflectionV1alpha, reflectionServiceV1alpha(reflection));
    }
  };
  const callCounters: CallCounters = { cancelled: 0 };
  const interceptors = [
    observability.interceptor(),
      errorMappingInterceptor({
        onError(err, procedure, contextValues) {
          const keyId = contextValues.get(authIdentityKey)?.keyId;
          if (isGatewayError(err)) logger.debug({ procedure, keyId, kind: err.kind, err: err.message }, "call failed");
          else if (!(err instanceof ConnectError)) logger.error({ procedure, keyId, err }, "unexpected error");
          else logger.debug({ procedure, keyId, code: Code[err.code], err: err.rawMessage }, "call refused");
        },
        // A cancel is normal traffic: counted, logged without a stack.
        onCancel(procedure, reason) {
          callCounters.cancelled++;
          logger.debug({ procedure, reason: reason instanceof Error ? reason.message : String(reason) }, "call cancelled by the client");
        },
      }),
      ...(auth
        ? [authInterceptor(auth, (procedure, id) => logger.debug({ procedure, keyId: id?.keyId, alias: id?.alias, keyMetadata: id?.metadata }, "call admitted"))]
        : []),
  ];
  const handler = connectNodeAdapter({
    routes,
    readMaxBytes: config.server.maxRequestBytes,
    requestGate: decodeErrorCodesGate(config.server.maxRequestBytes),
    shutdownSignal: shutdown.signal,
    interceptors,
  });
  // The OpenAI- and Anthropic-shaped surfaces call the same routes through the same interceptors, in process.
  const inProcess = createRouterTransport(routes, { router: { interceptors, readMaxBytes: config.server.maxRequestBytes } });
  const httpRoutes = compatHttpRoutes({ transport: inProcess, maxRequestBytes: config.server.maxRequestBytes, logger });
  const server = new DualProtocolServer(withHttpRoutes([...observability.httpRoutes(), ...httpRoutes], handler), options.clock ?? systemClock, config.server.connections, tlsOptions(options.config.serverSettings?.tls));
  const port = await server.listen(options.port ?? config.server.port, options.host ?? config.server.host, { reusePort: options.reusePort });
  const metricsPort = await observability.listenMetrics(options.host ?? config.server.host, options.metricsPort);

  router.start(); // health checks, when enabled
  health.set("", ServingStatus.SERVING);
  for (const service of services) health.set(service.typeName, ServingStatus.SERVING);
  logger.info({ port, modelGroups: [...config.groups.keys()] }, "switchyard listening");
  if (options.watchConfig) reloader.watchFile();
  return new Gateway(port, config, health, server, shutdown, logger, router, callCounters, reloader, cache, auth, observability, metricsPort);
}

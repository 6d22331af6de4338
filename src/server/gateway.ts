import { setMaxListeners } from "node:events";
import { Code, ConnectError, createRouterTransport, type ConnectRouter, type Interceptor, type Transport } from "@connectrpc/connect";
import type { CommonTransportOptions } from "@connectrpc/connect/protocol";
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
import { AdminService, file_switchyard_v1_admin, type ReloadConfigResponse, type WaitQueueState } from "../../gen/ts/switchyard/v1/admin_pb.js";
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
import { ConfigReloader, swapRouter } from "../config/reload.js";
import { createStateStore, type DeploymentStateStore } from "../router/state/index.js";
import { systemClock, type Clock } from "../util/clock.js";
import { compatHttpRoutes } from "../compat/index.js";
import { DualProtocolServer } from "./dual-protocol-server.js";
import { tlsOptions } from "./tls.js";
import { withHttpRoutes } from "./http-routes.js";
import { grpcFastPathEnabled, withGrpcFastPath } from "./grpc-fast-path.js";
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

/** What the gateway serves with: everything but the socket. */
export interface GatewayPartsOptions {
  config: RouterConfig;
  providers?: ProviderRegistry;
  clock?: Clock;
  logger?: Logger;
  /** Routing state; default from the config (Redis when configured, else this process's memory). Worker threads pass their shared-memory store. */
  stateStore?: DeploymentStateStore;
  /** Wraps what the cache admin RPCs reach, e.g. so a worker thread's InvalidateCache and GetCacheStats cover its sibling workers. */
  adminCache?: (cache: GatewayCache) => AdminCache;
  /** Wraps what GetRouterState reports as wait queues, e.g. so a worker thread's answer merges its sibling workers' queues. */
  waitQueues?: (own: () => WaitQueueState[]) => () => Promise<WaitQueueState[]>;
  /** Metrics, tracing and access log; tests pass a span exporter here. */
  observability?: Pick<ObservabilityDeps, "spanExporter" | "random" | "env">;
  /** The file `config` came from: ReloadConfig with no text, SIGHUP and the file watch re-read it. */
  configFile?: string;
  /**
   * Where ReloadConfig goes instead of this gateway's own reloader: a worker
   * thread forwards it to its pool, which validates once and applies the
   * config to every worker.
   */
  reloadConfig?: (configText: string) => Promise<ReloadConfigResponse>;
}

export interface GatewayOptions extends GatewayPartsOptions {
  /** Overrides server_settings.port; 0 picks a free port. */
  port?: number;
  host?: string;
  /** Listen with SO_REUSEPORT, so sibling worker threads can each listen on the same port. */
  reusePort?: boolean;
  /** Overrides server_settings.metrics_port; 0 picks a free port. */
  metricsPort?: number;
  /** Reload when configFile changes. */
  watchConfig?: boolean;
  /** Serve gRPC Complete/StreamComplete on the direct HTTP/2 fast path (default: on unless SWITCHYARD_GRPC_FAST_PATH=0). */
  grpcFastPath?: boolean;
}

/**
 * The gateway's working parts, built from its options: the services'
 * dependencies and the interceptors' state. A listening gateway and an
 * in-memory one (tests) are the same parts behind different transports.
 */
export interface GatewayParts {
  config: ResolvedConfig;
  providers: ProviderRegistry;
  clock: Clock;
  logger: Logger;
  router: LiveRouter;
  /** Hot reload of model_list and router_settings (ReloadConfig, SIGHUP, file watch). */
  reloader: ConfigReloader;
  /** What ReloadConfig calls: the reloader, or (in a worker thread) the pool's reload. */
  reloadConfig: (configText: string) => Promise<ReloadConfigResponse>;
  /** The response cache, when cache_settings.enabled. */
  cache?: GatewayCache;
  /** What the cache admin RPCs reach: the cache, or the cache and its sibling workers'. */
  adminCache?: AdminCache;
  /** What GetRouterState reports as wait queues: the router's, or every worker's merged. */
  waitQueues: () => WaitQueueState[] | Promise<WaitQueueState[]>;
  /** Key checks, when auth_settings.master_key is set. */
  auth?: Authenticator;
  observability: Observability;
  health: HealthStatus;
  /** Aborted when the grace period of a drain runs out: cancels the calls still in flight. */
  shutdown: AbortController;
  /** Calls by how they ended, beyond what GetRouterState shows. */
  callCounters: CallCounters;
}

/** Builds the gateway's parts from its options; opens upstream pools and stores but no listening socket. */
export async function buildGatewayParts(options: GatewayPartsOptions): Promise<GatewayParts> {
  const logger = options.logger ?? silentLogger;
  const providers = options.providers ?? builtinProviders();
  const clock = options.clock ?? systemClock;
  const config = resolveConfig(options.config, providers);
  const runtime = new DeploymentRuntime(config, providers, { clock });
  const router = new LiveRouter(new Router(runtime, { clock, store: options.stateStore ?? createStateStore(config, clock, logger), logger }));
  const reloader = new ConfigReloader({ apply: swapRouter(router, { providers, clock, logger }), providers, logger, file: options.configFile });
  const cache = await createGatewayCache(config.cache, { clock, logger });
  const auth = createAuthenticator(options.config, config.redis, { clock, logger });
  try {
    await auth?.store.start();
  } catch (err) {
    await Promise.all([router.close(), cache?.close()]);
    throw err;
  }
  const observability = Observability.create(options.config, () => router.config, { logger, clock, store: router.router.store, ...options.observability });
  const shutdown = new AbortController();
  // connect links every call's signal to this one; thousands of concurrent calls are normal, not a leak.
  setMaxListeners(0, shutdown.signal);
  return {
    config,
    providers,
    clock,
    logger,
    router,
    reloader,
    reloadConfig: options.reloadConfig ?? ((text) => reloader.reload(text)),
    cache,
    adminCache: cache && options.adminCache ? options.adminCache(cache) : cache,
    waitQueues: options.waitQueues ? options.waitQueues(() => router.router.waitQueueState()) : () => router.router.waitQueueState(),
    auth,
    observability,
    health: new HealthStatus(),
    shutdown,
    callCounters: { cancelled: 0 },
  };
}

/** Stops what the parts own: the reload watch, the router and its adapters, the cache, the key store, the tracer and metrics listener. */
export async function closeGatewayParts(parts: GatewayParts): Promise<void> {
  parts.reloader.close();
  await parts.router.close(); // adapters of the current config and of any still retiring, then the router
  await parts.cache?.close();
  await parts.auth?.store.close();
  await parts.observability.close();
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

const SERVICES = [InferenceService, AdminService, Health, ReflectionV1, ReflectionV1alpha];

/** What the services need. */
export type RouteDeps = Pick<GatewayParts, "config" | "providers" | "clock" | "router" | "reloader" | "reloadConfig" | "cache" | "adminCache" | "waitQueues" | "auth" | "health">;

/** Registers every service of the gateway on a connect router, given its dependencies. */
export function createRoutes(deps: RouteDeps): (r: ConnectRouter) => void {
  const { config, router, cache, clock } = deps;
  const reflection = new ReflectionIndex(
    registryOf(SERVED_FILES),
    SERVICES.map((s) => s.typeName),
  );
  return (r: ConnectRouter) => {
    r.service(InferenceService, inferenceService(cache ? cache.inFrontOf(router) : router, { guard: new ProviderOptionsGuard(deps.providers), limits: config.server.limits }));
    r.service(
      AdminService,
      adminService({
        routerState: routerStateReader(() => router.config, router.router.store, clock, deps.waitQueues),
        deploymentControl: deploymentController(() => router.config, router.router.store, clock),
        reloadConfig: (request) => deps.reloadConfig(request.configText),
        cache: deps.adminCache,
        keys: keyAdmin(deps.auth),
      }),
    );
    r.service(Health, healthService(deps.health));
    if (config.server.reflection) {
      r.service(ReflectionV1, reflectionServiceV1(reflection));
      r.service(ReflectionV1alpha, reflectionServiceV1alpha(reflection));
    }
  };
}

/** Every call, whatever transport it came in on, passes these: observability, error mapping, then auth. */
export function gatewayInterceptors(deps: Pick<GatewayParts, "observability" | "logger" | "callCounters" | "auth">): Interceptor[] {
  const { logger, callCounters, auth } = deps;
  return [
    deps.observability.interceptor(),
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
}

/** The services as an in-process transport: no socket, the same interceptors and size limit; `client` sets the calling side's options (e.g. its interceptors). */
export function inProcessTransport(
  routes: (r: ConnectRouter) => void,
  interceptors: Interceptor[],
  config: ResolvedConfig,
  client?: Partial<CommonTransportOptions>,
): Transport {
  return createRouterTransport(routes, { transport: client, router: { interceptors, readMaxBytes: config.server.maxRequestBytes } });
}

/** The services over Connect, gRPC and gRPC-Web on Node's HTTP/1.1 and HTTP/2 servers. */
function nodeRpcHandler(parts: GatewayParts, routes: (r: ConnectRouter) => void, interceptors: Interceptor[], grpcFastPath = grpcFastPathEnabled()) {
  const options = {
    routes,
    readMaxBytes: parts.config.server.maxRequestBytes,
    requestGate: decodeErrorCodesGate(parts.config.server.maxRequestBytes),
    shutdownSignal: parts.shutdown.signal,
    interceptors,
  };
  // Plain gRPC Complete/StreamComplete skip connect's generic pipeline; everything else reaches connect's adapter.
  const onFault = (err: unknown) => parts.logger.debug({ err: err instanceof Error ? err.message : String(err) }, "gRPC fast path: call ended by a stream reset");
  return withGrpcFastPath(connectNodeAdapter(options), { ...options, maxRequestBytes: options.readMaxBytes, onFault }, grpcFastPath);
}

/** Reports the gateway and each of its services SERVING. */
export function markServing(health: HealthStatus): void {
  health.set("", ServingStatus.SERVING);
  for (const service of SERVICES) health.set(service.typeName, ServingStatus.SERVING);
}

/** After draining, how long connections may take to flush their last bytes before being cut, ms. */
const FLUSH_MS = 1_000;

export interface GatewayDeps extends GatewayParts {
  /** The port it listens on. */
  port: number;
  /** The metrics-only listener's port, when server_settings.metrics_port is set. */
  metricsPort?: number;
  server: DualProtocolServer;
}

/** A running gateway: one port serving Connect, gRPC and gRPC-Web. */
export class Gateway {
  private closing?: Promise<void>;
  readonly port: number;
  /** The metrics-only listener's port, when server_settings.metrics_port is set. */
  readonly metricsPort?: number;
  readonly config: ResolvedConfig;
  readonly health: HealthStatus;
  /** Calls by how they ended, beyond what GetRouterState shows. */
  readonly callCounters: Readonly<CallCounters>;
  /** Hot reload of model_list and router_settings (ReloadConfig, SIGHUP, file watch). */
  readonly reloader: ConfigReloader;
  /** The response cache, when cache_settings.enabled. */
  readonly cache?: GatewayCache;
  /** Key checks, when auth_settings.master_key is set. */
  readonly auth?: Authenticator;
  readonly observability: Observability;
  private readonly server: DualProtocolServer;
  private readonly parts: GatewayParts;

  constructor(deps: GatewayDeps) {
    this.port = deps.port;
    this.metricsPort = deps.metricsPort;
    this.config = deps.config;
    this.health = deps.health;
    this.callCounters = deps.callCounters;
    this.reloader = deps.reloader;
    this.cache = deps.cache;
    this.auth = deps.auth;
    this.observability = deps.observability;
    this.server = deps.server;
    this.parts = deps;
  }

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
        this.parts.logger.warn({ remaining }, "grace period over; cancelling in-flight calls");
        this.parts.shutdown.abort(new ConnectError("the gateway is shutting down", Code.Unavailable));
        await this.server.drain(Math.min(1000, graceMs));
      }
      await this.server.close(FLUSH_MS);
      await closeGatewayParts(this.parts);
    })();
    return this.closing;
  }
}

/** Builds the parts, serves their routes on one port (plus the compat HTTP surfaces and /metrics), and reports SERVING. */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const parts = await buildGatewayParts(options);
  const { config, logger, observability } = parts;
  const routes = createRoutes(parts);
  const interceptors = gatewayInterceptors(parts);
  const handler = nodeRpcHandler(parts, routes, interceptors, options.grpcFastPath);
  // The OpenAI- and Anthropic-shaped surfaces call the same routes through the same interceptors, in process.
  const httpRoutes = compatHttpRoutes({ transport: inProcessTransport(routes, interceptors, config), maxRequestBytes: config.server.maxRequestBytes, logger });
  const server = new DualProtocolServer(withHttpRoutes([...observability.httpRoutes(), ...httpRoutes], handler), parts.clock, config.server.connections, tlsOptions(options.config.serverSettings?.tls));
  let port: number;
  let metricsPort: number | undefined;
  try {
    port = await server.listen(options.port ?? config.server.port, options.host ?? config.server.host, { reusePort: options.reusePort });
    metricsPort = await observability.listenMetrics(options.host ?? config.server.host, options.metricsPort);
  } catch (err) {
    // A port in use: nothing was served, so nothing to drain; release what the parts opened.
    server.destroy();
    await closeGatewayParts(parts);
    throw err;
  }

  parts.router.start(); // health checks, when enabled
  markServing(parts.health);
  logger.info({ port, modelGroups: [...config.groups.keys()] }, "switchyard listening");
  if (options.watchConfig) parts.reloader.watchFile();
  return new Gateway({ ...parts, port, metricsPort, server });
}

import { setMaxListeners } from "node:events";
import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
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
import { Router } from "../router/router.js";
import { routerStateReader } from "../router/router-state.js";
import { deploymentController } from "../router/deployment-control.js";
import { LiveRouter } from "../router/live-router.js";
import { ConfigReloader } from "../config/reload.js";
import { createStateStore } from "../router/state/index.js";
import { systemClock, type Clock } from "../util/clock.js";
import { DualProtocolServer } from "./dual-protocol-server.js";
import { tlsOptions } from "./tls.js";
import { createGatewayCache, type GatewayCache } from "../cache/index.js";
import { adminService } from "./admin-service.js";
import { authIdentityKey, authInterceptor, createAuthenticator, keyAdmin, type Authenticator } from "../auth/index.js";
import { errorMappingInterceptor } from "./error-interceptor.js";
import { HealthStatus, healthService, ServingStatus } from "./health.js";
import { inferenceService } from "./inference-service.js";
import { ReflectionIndex, reflectionServiceV1, reflectionServiceV1alpha, registryOf } from "./reflection.js";

export interface GatewayOptions {
  config: RouterConfig;
  /** Overrides server_settings.port; 0 picks a free port. */
  port?: number;
  host?: string;
  providers?: ProviderRegistry;
  clock?: Clock;
  logger?: Logger;
  /** The file `config` came from: ReloadConfig with no text, SIGHUP and the file watch re-read it. */
  configFile?: string;
  /** Reload when configFile changes. */
  watchConfig?: boolean;
}

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
    /** Hot reload of model_list and router_settings (ReloadConfig, SIGHUP, file watch). */
    readonly reloader: ConfigReloader,
    /** The response cache, when cache_settings.enabled. */
    readonly cache?: GatewayCache,
    /** Key checks, when auth_settings.master_key is set. */
    readonly auth?: Authenticator,
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
      this.server.destroy();
      this.reloader.close();
      await this.router.close(); // adapters of the current config and of any still retiring, then the router
      await this.cache?.close();
      await this.auth?.store.close();
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
  const config = resolveConfig(options.config, providers, { clock: options.clock ?? systemClock });
  const clock = options.clock ?? systemClock;
  const router = new LiveRouter(new Router(config, { clock, store: createStateStore(config, clock, logger), logger }));
  const reloader = new ConfigReloader({ live: router, providers, clock, logger, file: options.configFile });
  const cache = await createGatewayCache(options.config, { clock, logger });
  const auth = createAuthenticator(options.config, config.redis, { clock, logger });
  try {
    await auth?.store.start();
  } catch (err) {
    await Promise.all([router.close(), cache?.close()]);
    throw err;
  }
  const health = new HealthStatus();
  const shutdown = new AbortController();
  // connect links every call's signal to this one; thousands of concurrent calls are normal, not a leak.
  setMaxListeners(0, shutdown.signal);

  const services = [InferenceService, AdminService, Health, ReflectionV1, ReflectionV1alpha];
  const reflection = new ReflectionIndex(
    registryOf(SERVED_FILES),
    services.map((s) => s.typeName),
  );
  const routes = (r: ConnectRouter) => {
    r.service(InferenceService, inferenceService(cache ? cache.wrap(router) : router));
    r.service(
      AdminService,
      adminService({
        routerState: routerStateReader(() => router.config, router.router.store, clock, () => router.router.waitQueueState()),
        deploymentControl: deploymentController(() => router.config, router.router.store, clock),
        reloadConfig: (request) => reloader.reload(request.configText),
        cache,
        keys: keyAdmin(auth),
      }),
    );
    r.service(Health, healthService(health));
    if (config.server.reflection) {
      r.service(ReflectionV1, reflectionServiceV1(reflection));
      r.service(ReflectionV1alpha, reflectionServiceV1alpha(reflection));
    }
  };
  const handler = connectNodeAdapter({
    routes,
    readMaxBytes: config.server.maxRequestBytes,
    shutdownSignal: shutdown.signal,
    interceptors: [
      errorMappingInterceptor((err, procedure, contextValues) => {
        const keyId = contextValues.get(authIdentityKey)?.keyId;
        if (isGatewayError(err)) logger.debug({ procedure, keyId, kind: err.kind, err: err.message }, "call failed");
        else if (!(err instanceof ConnectError)) logger.error({ procedure, keyId, err }, "unexpected error");
        else logger.debug({ procedure, keyId, code: Code[err.code], err: err.rawMessage }, "call refused");
      }),
      ...(auth
        ? [authInterceptor(auth, (procedure, id) => logger.debug({ procedure, keyId: id?.keyId, alias: id?.alias, keyMetadata: id?.metadata }, "call admitted"))]
        : []),
    ],
  });
  const server = new DualProtocolServer(handler, options.clock ?? systemClock, tlsOptions(options.config.serverSettings?.tls));
  const port = await server.listen(options.port ?? config.server.port, options.host ?? config.server.host);

  health.set("", ServingStatus.SERVING);
  for (const service of services) health.set(service.typeName, ServingStatus.SERVING);
  logger.info({ port, modelGroups: [...config.groups.keys()] }, "switchyard listening");
  if (options.watchConfig) reloader.watchFile();
  return new Gateway(port, config, health, server, shutdown, logger, router, reloader, cache, auth);
}

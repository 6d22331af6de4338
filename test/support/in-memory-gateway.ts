import { createClient, type Client, type Interceptor, type Transport } from "@connectrpc/connect";
import { AdminService } from "../../gen/ts/switchyard/v1/admin_pb.js";
import { InferenceService } from "../../gen/ts/switchyard/v1/inference_pb.js";
import { builtinProviders } from "../../src/providers/registry.js";
import {
  buildGatewayParts,
  closeGatewayParts,
  createRoutes,
  gatewayInterceptors,
  inProcessTransport,
  markServing,
  type GatewayParts,
  type GatewayPartsOptions,
} from "../../src/server/gateway.js";
import { configFromYaml } from "./gateway.js";

export interface InMemoryGateway extends GatewayParts {
  /** The gateway's routes behind its interceptors (observability, error mapping, auth), with no socket. */
  transport: Transport;
  inference: Client<typeof InferenceService>;
  admin: Client<typeof AdminService>;
  /** Clients whose every call carries `headers` (e.g. an authorization header). */
  clientsWith(headers: Record<string, string>): { inference: Client<typeof InferenceService>; admin: Client<typeof AdminService> };
  close(): Promise<void>;
}

export interface InMemoryGatewayOptions extends Omit<GatewayPartsOptions, "config"> {
  /** Reload when configFile changes, as `serve --watch-config` does. */
  watchConfig?: boolean;
}

/**
 * A gateway built exactly as `startGateway` builds one (same parts, same
 * routes, same interceptors) but reached through connect's in-memory
 * transport instead of a TCP port: for tests of what the services do.
 * Tests of the wire (protocols, HTTP/2, TLS, connection limits, drain,
 * the compat HTTP surfaces) use `startTestGateway`.
 */
export async function startInMemoryGateway(yaml: string, options: InMemoryGatewayOptions = {}): Promise<InMemoryGateway> {
  const providers = options.providers ?? builtinProviders();
  const parts = await buildGatewayParts({ ...options, providers, config: configFromYaml(yaml, providers) });
  const routes = createRoutes(parts);
  const interceptors = gatewayInterceptors(parts);
  const transport = inProcessTransport(routes, interceptors, parts.config);
  parts.router.start(); // health checks, when enabled, as startGateway does
  markServing(parts.health);
  if (options.watchConfig) parts.reloader.watchFile();
  let closing: Promise<void> | undefined;
  return {
    ...parts,
    transport,
    inference: createClient(InferenceService, transport),
    admin: createClient(AdminService, transport),
    clientsWith(headers) {
      const setHeaders: Interceptor = (next) => (req) => {
        for (const [name, value] of Object.entries(headers)) req.header.set(name, value);
        return next(req);
      };
      const withHeaders = inProcessTransport(routes, interceptors, parts.config, { interceptors: [setHeaders] });
      return { inference: createClient(InferenceService, withHeaders), admin: createClient(AdminService, withHeaders) };
    },
    close: () => (closing ??= closeGatewayParts(parts)),
  };
}

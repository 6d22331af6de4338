import type { RouterConfig } from "../../gen/ts/switchyard/v1/config_pb.js";
import { ConfigError } from "../config/config-error.js";

/** Observability settings with defaults applied (one table: here). */
export interface ResolvedObservability {
  metricsEnabled: boolean;
  /** Extra listener serving only GET /metrics; undefined = main port only. */
  metricsPort?: number;
  /** Undefined when tracing is off (no endpoint in the config or OTEL_EXPORTER_OTLP_ENDPOINT). */
  tracing?: ResolvedTracing;
  accessLog: { enabled: boolean; sampleRatio: number };
  /** A key_alias label on the request, token and cost counters; off by default (cardinality). */
  keyAliasLabel: boolean;
}

export interface ResolvedTracing {
  /** Collector base URL; spans go to <endpoint>/v1/traces. */
  otlpEndpoint: string;
  serviceName: string;
  samplingRatio: number;
  recordContent: boolean;
}

export function resolveObservability(config: RouterConfig, env: NodeJS.ProcessEnv = process.env): ResolvedObservability {
  const o = config.observability;
  const endpoint = o?.tracing?.otlpEndpoint || env.OTEL_EXPORTER_OTLP_ENDPOINT || "";
  return {
    metricsEnabled: o?.metricsEnabled ?? true,
    metricsPort: config.serverSettings?.metricsPort,
    tracing: endpoint
      ? {
          otlpEndpoint: endpoint.replace(/\/$/, ""),
          serviceName: o?.tracing?.serviceName || env.OTEL_SERVICE_NAME || "switchyard",
          samplingRatio: ratio(o?.tracing?.samplingRatio ?? 1, "observability.tracing.sampling_ratio"),
          recordContent: o?.tracing?.recordContent ?? false,
        }
      : undefined,
    accessLog: {
      enabled: o?.accessLog?.enabled ?? true,
      sampleRatio: ratio(o?.accessLog?.sampleRatio ?? 1, "observability.access_log.sample_ratio"),
    },
    keyAliasLabel: o?.keyAliasLabel ?? false,
  };
}

function ratio(value: number, field: string): number {
  if (!(value >= 0 && value <= 1)) throw new ConfigError("config", [{ path: field, message: `must be between 0 and 1, got ${value}` }]);
  return value;
}

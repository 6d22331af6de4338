import { Counter, Gauge, Histogram, Registry } from "prom-client";

/**
 * Buckets (seconds) spanning the gateway's own sub-millisecond overhead up
 * to multi-minute completions, so one layout serves every histogram.
 */
export const DURATION_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300,
];

/** The state label values of switchyard_deployment_state. */
export const DEPLOYMENT_STATES = ["healthy", "cooldown", "half_open", "unhealthy"] as const;
export type DeploymentStateName = (typeof DEPLOYMENT_STATES)[number];

/** One deployment's state as the store sees it, read at scrape time. */
export interface DeploymentStateSample {
  deployment: string;
  state: DeploymentStateName;
}

export interface MetricsOptions {
  /**
   * Adds key_alias to the request, token and cost counters. Off by default:
   * aliases are operator-chosen and bounded by the number of keys, but each
   * one multiplies those series.
   */
  keyAliasLabel?: boolean;
}

/**
 * Every Prometheus metric the gateway exports, in a registry of its own
 * (not prom-client's global one, so two gateways in one process, as in
 * tests, do not share counters). Names and labels are the public contract
 * listed in the README; labels stay low-cardinality (no user ids, keys or
 * prompts; a key's alias only when MetricsOptions.keyAliasLabel is on).
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  readonly keyAliasLabel: boolean;
  readonly requests: Counter<"model_group" | "call_type" | "protocol" | "code" | "key_alias">;
  readonly tokens: Counter<"model_group" | "deployment" | "kind" | "key_alias">;
  readonly cost: Counter<"model_group" | "deployment" | "key_alias">;

  readonly requestDuration = new Histogram({
    name: "switchyard_request_duration_seconds",
    help: "Time from request arrival to the end of the response (the last chunk for streams).",
    labelNames: ["model_group", "call_type"] as const,
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });

  readonly gatewayOverhead = new Histogram({
    name: "switchyard_gateway_overhead_seconds",
    help: "The gateway's own time per request: total time minus time waiting on upstreams (timings.gateway_overhead_ms).",
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });

  readonly timeToFirstToken = new Histogram({
    name: "switchyard_time_to_first_token_seconds",
    help: "Streams: time from request arrival to the first chunk sent.",
    labelNames: ["model_group"] as const,
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });

  readonly upstreamAttempts = new Counter({
    name: "switchyard_upstream_attempts_total",
    help: "Calls to upstream deployments, by outcome (success, failure, cancelled).",
    labelNames: ["model_group", "deployment", "provider", "outcome"] as const,
    registers: [this.registry],
  });

  readonly cacheRequests = new Counter({
    name: "switchyard_cache_requests_total",
    help: "Response-cache lookups per layer, by result: hit, miss, error, skip (no_cache).",
    labelNames: ["layer", "result"] as const,
    registers: [this.registry],
  });

  readonly inFlight = new Gauge({
    name: "switchyard_in_flight_requests",
    help: "Requests being handled right now on this gateway, by requested model group.",
    labelNames: ["model_group"] as const,
    registers: [this.registry],
  });

  readonly retries = new Counter({
    name: "switchyard_retries_total",
    help: "Upstream attempts that were retries within a model group.",
    registers: [this.registry],
  });

  readonly fallbacks = new Counter({
    name: "switchyard_fallbacks_total",
    help: "Requests that moved from one model group to a fallback group.",
    labelNames: ["from", "to"] as const,
    registers: [this.registry],
  });

  /**
   * @param deploymentStates read at scrape time (from the state store, so
   *   with Redis it is the fleet's view); one series per deployment and
   *   state, 1 for the current state and 0 for the others.
   */
  constructor(deploymentStates?: () => Promise<DeploymentStateSample[]>, options: MetricsOptions = {}) {
    this.keyAliasLabel = options.keyAliasLabel ?? false;
    this.requests = new Counter({
      name: "switchyard_requests_total",
      help: "Requests handled, by requested model group, call type, protocol and gRPC status code name.",
      labelNames: this.withKeyAlias(["model_group", "call_type", "protocol", "code"] as const),
      registers: [this.registry],
    });
    this.tokens = new Counter({
      name: "switchyard_tokens_total",
      help: "Tokens reported by upstreams (cache hits excluded), by kind: prompt, completion, cached_prompt.",
      labelNames: this.withKeyAlias(["model_group", "deployment", "kind"] as const),
      registers: [this.registry],
    });
    this.cost = new Counter({
      name: "switchyard_cost_usd_total",
      help: "Spend in US dollars from the price table.",
      labelNames: this.withKeyAlias(["model_group", "deployment"] as const),
      registers: [this.registry],
    });
    new Gauge({
      name: "switchyard_deployment_state",
      help: "1 for each deployment's current state (healthy, cooldown, half_open, unhealthy), 0 for the others.",
      labelNames: ["deployment", "state"] as const,
      registers: [this.registry],
      async collect() {
        if (!deploymentStates) return;
        this.reset();
        for (const sample of await deploymentStates()) {
          for (const state of DEPLOYMENT_STATES) this.set({ deployment: sample.deployment, state }, state === sample.state ? 1 : 0);
        }
      },
    });
  }

  /** The label names, plus key_alias when that label is on (without it the series carry no key_alias at all). */
  private withKeyAlias<L extends string>(names: readonly L[]): Array<L | "key_alias"> {
    return this.keyAliasLabel ? [...names, "key_alias"] : [...names];
  }

  /** The text exposition format, for GET /metrics. */
  exposition(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

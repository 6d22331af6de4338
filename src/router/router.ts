import { create } from "@bufbuild/protobuf";
import { costOf, streamedCostEstimate } from "./cost.js";
import {
  AttemptOutcome,
  AttemptSchema,
  ErrorKind,
  ModelGroupSchema,
  ModelResponseChunkSchema,
  type Attempt,
  type CompletionRequest,
  type EmbeddingRequest,
  type EmbeddingResponse,
  type ImageGenerationRequest,
  type ImageGenerationResponse,
  type ModelGroup,
  type ModelResponse,
  type ModelResponseChunk,
  type ModerationRequest,
  type ModerationResponse,
  type RequestOptions,
  type Timings,
  type Usage,
} from "../../gen/ts/switchyard/v1/inference_pb.js";
import type { ResolvedConfig, ResolvedDeployment } from "../config/resolve.js";
import { GatewayError } from "../errors/gateway-error.js";
import { kindName } from "../errors/status.js";
import { silentLogger, type Logger } from "../observability/logger.js";
import { systemClock, type Clock } from "../util/clock.js";
import type { Random } from "../util/random.js";
import { estimatePromptTokens } from "../util/tokens.js";
import type { AffinityPolicy, GroupRouting, HedgePolicy } from "../config/group-settings.js";
import { affinityKeyOf, rendezvousPick } from "./affinity.js";
import { Cooldowns } from "./cooldowns.js";
import { shown } from "../util/cap.js";
import { AttemptTimer, RequestDeadline } from "./deadlines.js";
import { eligibleDeployments, type Eligible } from "./eligibility.js";
import { fallbackGroups } from "./fallbacks.js";
import { HealthChecker } from "./health-checker.js";
import type { RequestObserver } from "../observability/request-observer.js";
import { anyAtLimitOnly, WaitQueue, type Ticket } from "./queue.js";
import { hedgeDelayMs, LatencyWindow, NoHedgeTarget, raceWithHedges, type RacingAttempt } from "./hedging.js";
import type { RequestContext } from "./request-context.js";
import { backoffMs, retriesAllowed } from "./retry-policy.js";
import { MemoryStateStore } from "./state/memory-store.js";
import type { DeploymentStateStore, Lease, SuccessSample } from "./state/state-store.js";
import { Selector } from "./selection.js";
import { strategyFor } from "./strategies/index.js";
import { isIndexed, type PickRequest, type RoutingStrategy } from "./strategy.js";
import { buildTimings, type TimingMarks } from "./timings.js";
import type { AdapterCalls, CallType, DeploymentRuntime } from "./deployment-runtime.js";

const CALL_TYPE_LABEL: Record<CallType, string> = {
  complete: "completions",
  stream: "streaming completions",
  embed: "embeddings",
  generateImage: "image generation",
  moderate: "moderation",
};

/** Expected answer length when a completion sets no max_tokens: only used to rank deployments by cost and usage. */
const TYPICAL_COMPLETION_TOKENS = 256;

export interface RouterDeps {
  clock?: Clock;
  /** Dice for shuffles, tie-breaks and backoff jitter; seed it in tests. */
  random?: Random;
  /** Deployment state; default in-memory. */
  store?: DeploymentStateStore;
  /** Overrides router_settings.routing_strategy. */
  strategy?: RoutingStrategy;
  logger?: Logger;
}

/** One attempt's upstream call on the chosen deployment. */
type AttemptCall<T> = (deployment: ResolvedDeployment, signal: AbortSignal) => Promise<T>;

/** What the router needs to know about a call to route it. */
interface RouteRequest {
  model: string;
  options: RequestOptions | undefined;
  callType: CallType;
  pick: PickRequest;
  /** The completion, whose stable prefix is the affinity key when options.affinity_key is not set. */
  completion?: CompletionRequest;
  /** Gives back what a successful attempt holds when its answer is not used (a hedge that lost: close the stream). */
  release?: (value: unknown) => void;
}

/** What every attempt of one routed request shares, across its groups (fallbacks), retries and hedges. */
interface RoutedCall<T> {
  readonly route: RouteRequest;
  readonly deadline: RequestDeadline;
  /** Every attempt so far, in order, as the answer lists them. */
  readonly attempts: Attempt[];
  readonly marks: TimingMarks;
  /** Calls one deployment. */
  readonly call: AttemptCall<T>;
  readonly observer: RequestObserver | undefined;
  /** RequestContext.caller, or "" (one caller) when auth is off: the wait queue's turns. */
  readonly caller: string;
  /** Prompts sent on attempts abandoned in flight with no attempt record to carry the cost (a client's cancel): charged if the request fails. */
  abandonedUsd: number;
}

/** Where an attempt stands within its group: the deployments that failed this request there, and which retry it is. */
interface GroupTry {
  readonly failedHere: Set<string>;
  readonly retry: number;
}

/** A successful attempt whose answer may still be running (streams): the caller settles it. */
interface OpenAttempt<T> {
  value: T;
  deployment: ResolvedDeployment;
  attempts: Attempt[];
  /** The attempt's signal: request deadline plus the attempt timer. */
  signal: AbortSignal;
  timer: AttemptTimer;
  lease: Lease;
  trial: boolean;
  /** Whether the caller added options.provider_options to the upstream body (see Cooldowns.isDeploymentFault). */
  callerShaped: boolean;
  /** Gateway-clock time the successful attempt started. */
  startedMs: number;
  deadline: RequestDeadline;
  marks: TimingMarks;
}

/**
 * Routes each call to a deployment of its model group: filters the group
 * (health, cooldown, limits, tags, context window), picks with the
 * configured strategy, calls with a per-attempt timeout, and on failure
 * cools deployments down, retries with backoff and falls back to other
 * groups, all within the request's deadline. Every attempt is recorded in
 * the answer's `attempts`.
 *
 * Constructing a router starts nothing: start() begins its background work
 * (health checks), stop() ends it.
 */
export class Router {
  readonly config: ResolvedConfig;
  readonly store: DeploymentStateStore;
  private readonly logger: Logger;
  readonly strategy: RoutingStrategy;
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly cooldowns: Cooldowns;
  private readonly healthChecker?: HealthChecker;
  /** Picks deployments in place over the store's stats, and counts picks not yet begun (see Selector). */
  private readonly selector: Selector;
  /** Each model group's strategy (model_group_settings.routing_strategy, else router_settings'). */
  private readonly strategies = new Map<string, RoutingStrategy>();
  /** Per group and call type: the deployments able to serve it (see capableOf). */
  private readonly capable = new Map<string, readonly ResolvedDeployment[]>();
  /** Per group, call type and tag set: the capable deployments carrying the tags (see taggedOf). */
  private readonly tagged = new Map<string, readonly ResolvedDeployment[]>();
  /** Recent attempt latencies per group and call kind, for hedge.after_latency_percentile. */
  private readonly latencies = new Map<string, LatencyWindow>();
  /** Requests waiting for a deployment at its limits (router_settings.wait_queue); undefined when off. */
  private readonly waitQueue?: WaitQueue;
  /** A nextCallEnd listener is pending (hearCallEnds). */
  private hearingCallEnds = false;

  constructor(
    /** The deployments' adapters (and the resolved config they were built from). */
    readonly runtime: DeploymentRuntime,
    deps: RouterDeps = {},
  ) {
    const config = runtime.config;
    this.config = config;
    this.clock = deps.clock ?? systemClock;
    this.random = deps.random ?? Math.random;
    this.store = deps.store ?? new MemoryStateStore(this.clock);
    this.selector = new Selector(this.store);
    this.strategy = deps.strategy ?? strategyFor(config.router, this.random);
    for (const [group, routing] of config.groupRouting) {
      this.strategies.set(group, deps.strategy ?? (routing.router === config.router ? this.strategy : strategyFor(routing.router, this.random)));
    }
    const queuePolicy = config.router.waitQueue;
    if (queuePolicy) this.waitQueue = new WaitQueue(queuePolicy, this.clock);
    this.cooldowns = new Cooldowns(this.store, config.router, this.clock);
    this.logger = deps.logger ?? silentLogger;
    if (config.router.healthCheck.enabled) {
      this.healthChecker = new HealthChecker(runtime, this.store, this.clock, config.router.healthCheck, this.logger);
    }
  }

  /** Starts background work: health checks, when router_settings.health_check is enabled. */
  start(): void {
    this.healthChecker?.start();
  }

  listModels(): ModelGroup[] {
    return [...this.config.groups].map(([name, deployments]) => {
      const windows = deployments.map((d) => d.maxInputTokens).filter((n): n is number => n !== undefined);
      return create(ModelGroupSchema, {
        name,
        deploymentCount: deployments.length,
        providers: [...new Set(deployments.map((d) => d.provider))].sort(),
        maxInputTokens: windows.length === deployments.length && windows.length > 0 ? Math.min(...windows) : 0,
      });
    });
  }

  async complete(request: CompletionRequest, ctx: RequestContext): Promise<ModelResponse> {
    const open = await this.route(completionRoute(request, "complete"), ctx, (d, signal) => this.method("complete", d)(request, { signal }));
    const value = open.value;
    await this.settle(open, {
      totalTokens: value.usage?.totalTokens ?? 0,
      latencyPerTokenMs: (this.clock.now() - open.startedMs) / Math.max(1, value.usage?.completionTokens ?? 0),
    });
    open.marks.firstToken = performance.now();
    return Object.assign(value, routedMeta(open), { costUsd: costOf(open.deployment, value.usage) + unusedAttemptsCostUsd(open.attempts), timings: buildTimings(ctx, open.marks) });
  }

  embed(request: EmbeddingRequest, ctx: RequestContext): Promise<EmbeddingResponse> {
    return this.callPriced(request.model, request.options, "embed", ctx, (d, signal) => this.method("embed", d)(request, { signal }));
  }

  generateImage(request: ImageGenerationRequest, ctx: RequestContext): Promise<ImageGenerationResponse> {
    return this.callPriced(request.model, request.options, "generateImage", ctx, (d, signal) => this.method("generateImage", d)(request, { signal }));
  }

  /** Embeddings and images: route, settle on the usage, stamp where it came from, cost and timings. */
  private async callPriced<T extends { usage?: Usage; costUsd: number; timings?: Timings }>(
    model: string,
    options: RequestOptions | undefined,
    callType: "embed" | "generateImage",
    ctx: RequestContext,
    call: AttemptCall<T>,
  ): Promise<T> {
    const open = await this.route(otherRoute(model, options, callType), ctx, call);
    await this.settle(open, { totalTokens: open.value.usage?.totalTokens ?? 0, latencyPerTokenMs: this.clock.now() - open.startedMs });
    return Object.assign(open.value, routedMeta(open), {
      costUsd: costOf(open.deployment, open.value.usage) + unusedAttemptsCostUsd(open.attempts),
      timings: buildTimings(ctx, open.marks),
    });
  }

  async moderate(request: ModerationRequest, ctx: RequestContext): Promise<ModerationResponse> {
    const route = otherRoute(request.model, request.options, "moderate");
    const open = await this.route(route, ctx, (d, signal) => this.method("moderate", d)(request, { signal }));
    await this.settle(open, { totalTokens: 0, latencyPerTokenMs: this.clock.now() - open.startedMs });
    return Object.assign(open.value, routedMeta(open), { timings: buildTimings(ctx, open.marks) });
  }

  /**
   * Streams chunks through as they arrive. Retries and fallbacks happen
   * only until the first chunk: once a chunk has gone to the client, a
   * failure ends the stream with that error. The upstream's last chunk
   * (the one with usage) is stamped with cost, timings and attempts; if the
   * upstream ends without one, a closing chunk is added so callers always
   * get a final chunk.
   */
  async *stream(request: CompletionRequest, ctx: RequestContext): AsyncGenerator<ModelResponseChunk> {
    const route = completionRoute(request, "stream");
    route.release = (value) => void (value as { iterator: AsyncIterator<unknown> }).iterator.return?.();
    const open = await this.route(route, ctx, async (deployment, signal) => {
      const iterator = this.method("stream", deployment)(request, { signal })[Symbol.asyncIterator]();
      return { iterator, first: await iterator.next() };
    });
    const { deployment, timer, marks } = open;
    const { iterator } = open.value;
    const ttftMs = this.clock.now() - open.startedMs;
    const firstChunkAt = performance.now();
    marks.firstToken = firstChunkAt;
    // Upstream time so far covers every attempt up to the first chunk; the rest of the stream is added when it ends.
    const upstreamBeforeFirstChunk = marks.upstreamMs;
    const idleMs = this.config.router.streamIdleTimeoutMs ?? deployment.streamTimeoutMs;
    const meta = routedMeta(open);
    let next = open.value.first;
    let sawFinal = false;
    let lastId = "";
    let totalTokens = 0;
    let settled = false;
    /** Text streamed so far (content and tool arguments), for the cost of a stream whose usage never comes. */
    let streamedChars = 0;
    const estimatedCostUsd = () => streamedCostEstimate(deployment, route.pick.promptTokens, streamedChars) + unusedAttemptsCostUsd(meta.attempts);
    try {
      while (!next.done) {
        const chunk = next.value;
        lastId = chunk.id;
        for (const choice of chunk.choices) {
          const delta = choice.delta;
          if (!delta) continue;
          streamedChars += delta.content.length;
          for (const call of delta.toolCalls) streamedChars += call.arguments.length;
        }
        chunk.modelGroup = meta.modelGroup;
        chunk.provider = meta.provider;
        chunk.deploymentId = meta.deploymentId;
        if (chunk.usage) {
          sawFinal = true;
          totalTokens = chunk.usage.totalTokens;
          await this.settle(open, { totalTokens, ttftMs });
          settled = true;
          marks.upstreamMs = upstreamBeforeFirstChunk + (performance.now() - firstChunkAt);
          chunk.costUsd = costOf(deployment, chunk.usage) + unusedAttemptsCostUsd(meta.attempts);
          chunk.timings = buildTimings(ctx, marks);
          chunk.attempts = meta.attempts;
        }
        yield chunk;
        timer.arm(idleMs, `deployment ${deployment.id} sent no chunk for too long`);
        try {
          next = await iterator.next();
        } catch (err) {
          const error = this.attemptError(err, open.deadline, timer, deployment);
          if (!settled) {
            settled = true;
            await this.failOpen(open, error);
          }
          throw error;
        } finally {
          timer.pause();
        }
      }
      if (!sawFinal) {
        // An upstream that reports no usage: the final chunk carries the estimated cost (as a unary answer's would).
        sawFinal = true;
        await this.settle(open, { totalTokens, ttftMs });
        settled = true;
        marks.upstreamMs = upstreamBeforeFirstChunk + (performance.now() - firstChunkAt);
        yield create(ModelResponseChunkSchema, { id: lastId, ...meta, costUsd: estimatedCostUsd(), timings: buildTimings(ctx, marks) });
      }
    } finally {
      // Cut short (the client went away, or the upstream failed) before the usage: the provider bills the prompt
      // and what it streamed; no chunk will carry that cost, so it is charged to the key this way.
      if (!sawFinal && ctx.unbilled) ctx.unbilled.usd += estimatedCostUsd();
      // The client went away (or we failed) mid-stream: stop the upstream and free the slot.
      if (!settled) await open.lease.end();
      await iterator.return?.();
      timer.cancel();
      open.deadline.dispose();
    }
  }

  /** Stops background work and disconnects shared state (the runtime's adapters are its owner's to close). */
  async close(): Promise<void> {
    this.stop();
    await this.store.close();
  }

  /** Stops background work but keeps the state store, which a hot reload hands to the next router. */
  stop(): void {
    this.healthChecker?.stop();
    this.waitQueue?.close();
  }

  /** The model group chain for a request: the group, then fallbacks chosen by how it failed. */
  private async route<T>(
    route: RouteRequest,
    ctx: RequestContext,
    call: AttemptCall<T>,
  ): Promise<OpenAttempt<T>> {
    if (!this.config.groups.has(route.model)) {
      throw new GatewayError(
        ErrorKind.NOT_FOUND,
        `model ${shown(route.model)} is not a model group on this gateway (known: ${[...this.config.groups.keys()].join(", ")})`,
        { field: "model" },
      );
    }
    const deadline = new RequestDeadline(ctx.signal, route.options?.timeoutMs, this.clock);
    const run: RoutedCall<T> = { route, deadline, attempts: [], marks: { upstreamMs: 0 }, call, observer: ctx.observer, caller: ctx.caller ?? "", abandonedUsd: 0 };
    let chain: string[] | undefined;
    let group = route.model;
    try {
      for (let next = 0; ; next++) {
        try {
          return await this.routeWithinGroup(group, run);
        } catch (err) {
          if (!(err instanceof GatewayError) || deadline.signal.aborted) throw err;
          if (route.options?.disableFallbacks) throw err;
          // A key limited to some model groups reaches no other group through a fallback either.
          chain ??= fallbackGroups(route.model, err.kind, this.config.router).filter(
            (g) => !ctx.allowedGroups?.length || ctx.allowedGroups.includes(g),
          );
          const fallback = chain[next];
          if (fallback === undefined) throw err;
          ctx.observer?.fallback(group, fallback);
          group = fallback;
        }
      }
    } catch (err) {
      deadline.dispose();
      // No answer carries a cost, but the providers bill the prompts of abandoned attempts and of hedges that lost.
      if (ctx.unbilled) ctx.unbilled.usd += run.abandonedUsd + unusedAttemptsCostUsd(run.attempts);
      throw err;
    }
  }

  /** Tries deployments of one group, retrying per the retry policy with backoff. */
  private async routeWithinGroup<T>(group: string, run: RoutedCall<T>): Promise<OpenAttempt<T>> {
    const { route, deadline } = run;
    const method = route.callType;
    const capable = this.capableOf(group, method);
    if (capable.length === 0) {
      throw new GatewayError(ErrorKind.INVALID_REQUEST, `model group "${group}" does not support ${CALL_TYPE_LABEL[route.callType]}`, {
        field: "model",
      });
    }
    const tags = route.options?.tags ?? [];
    const tagged = tags.length === 0 ? capable : this.taggedOf(group, method, capable, tags);
    if (tagged.length === 0) {
      throw new GatewayError(ErrorKind.NO_DEPLOYMENT_AVAILABLE, `no deployment of "${group}" carries all tags [${tags.join(", ")}]`, {
        field: "options.tags",
      });
    }

    const failedHere = new Set<string>();
    const routing = this.groupRouting(group);
    const preferred = routing.affinity ? this.affinityPick(route, routing.affinity, tagged) : undefined;
    let lastError: GatewayError | undefined;
    for (let retry = 0; ; retry++) {
      let chosen: Eligible;
      try {
        chosen = await this.chooseOrWait(group, tagged, run, failedHere, preferred);
      } catch (err) {
        throw lastError ?? err; // the attempt's own failure explains more than "none left"
      }
      try {
        const at: GroupTry = { failedHere, retry };
        if (!routing.hedge) return await this.attempt(chosen, run, at);
        return await this.hedged(chosen, group, tagged, routing.hedge, run, at);
      } catch (error) {
        if (!(error instanceof GatewayError)) throw error; // the caller went away: not the deployment's fault
        if (deadline.signal.aborted) throw error;
        lastError = error;
        if (retry >= retriesAllowed(error.kind, routing.router, route.options?.numRetries)) throw error;
        // Nothing left to retry on (e.g. the only deployment just cooled down): go to fallbacks now, not after a backoff.
        if (!(await this.anyEligible(group, tagged, route.pick))) throw error;
        const delay = backoffMs(retry, error, this.config.router, this.random);
        if (delay >= deadline.remainingMs()) throw error; // waiting would outlive the request
        try {
          await this.clock.sleep(delay, deadline.signal);
        } catch (abort) {
          throw deadline.signal.reason ?? abort;
        }
      }
    }
  }

  /**
   * One attempt on a chosen deployment. A failure is recorded (attempts,
   * cooldowns, failedHere) before it is thrown. `cancel` aborts a hedged
   * attempt that lost the race: it is released without counting as a failure.
   */
  private async attempt<T>(chosen: Eligible, run: RoutedCall<T>, at: GroupTry, cancel?: AbortSignal): Promise<OpenAttempt<T>> {
    const { route, deadline, attempts, marks, call } = run;
    const { deployment, trial } = chosen;
    const callerShaped = Object.keys(route.options?.providerOptions ?? {}).length > 0;
    let lease = chosen.lease;
    if (!lease) {
      try {
        lease = await this.store.begin(deployment.id);
      } finally {
        this.adjustPending(deployment.id, -1);
      }
    }
    if (this.waitQueue) lease = wakingLease(lease, this.waitQueue, deployment.modelGroup);
    // The attempt's signal: aborted by its own timeout, by the request's (cancel, deadline, timeout_ms), or by losing a hedge race.
    const timer = new AttemptTimer(this.clock, cancel ? AbortSignal.any([deadline.signal, cancel]) : deadline.signal);
    const timeoutMs = route.callType === "stream" ? deployment.streamTimeoutMs : deployment.timeoutMs;
    timer.arm(timeoutMs, `deployment ${deployment.id} did not answer in time`);
    const signal = timer.signal;
    const startedMs = this.clock.now();
    const startedPerf = performance.now();
    marks.upstreamStart ??= startedPerf;
    const observed = run.observer?.attemptStarted({
      deploymentId: deployment.id,
      provider: deployment.provider,
      modelGroup: deployment.modelGroup,
      retry: at.retry,
    });
    try {
      const value = await (observed ? observed.run(() => call(deployment, signal)) : call(deployment, signal));
      timer.cancel();
      observed?.succeeded();
      marks.upstreamMs += performance.now() - startedPerf;
      attempts.push(attemptRecord(deployment, AttemptOutcome.SUCCESS, this.clock.now() - startedMs));
      this.latencyWindow(deployment.modelGroup, route.pick.streaming).add(this.clock.now() - startedMs);
      return { value, deployment, attempts, signal, timer, lease, trial, callerShaped, startedMs, deadline, marks };
    } catch (raw) {
      timer.cancel();
      if (cancel?.aborted && !deadline.signal.aborted) {
        await lease.end(); // lost a hedge race: recorded by the race, not a failure of the deployment
        throw cancel.reason;
      }
      marks.upstreamMs += performance.now() - startedPerf;
      // Abandoned in flight (its timeout, the request's deadline or cancel): the provider had the prompt and bills it.
      const abandonedUsd = timer.signal.aborted ? route.pick.promptTokens * deployment.inputCostPerToken : 0;
      const error = this.attemptError(raw, deadline, timer, deployment);
      observed?.failed(error);
      const elapsedMs = this.clock.now() - startedMs;
      // A deployment that timed out is at least that slow: let latency-based routing know, not just the cooldown count.
      const timedOut = timer.signal.aborted && !deadline.signal.aborted;
      await lease.end(timedOut ? (route.pick.streaming ? { totalTokens: 0, ttftMs: elapsedMs } : { totalTokens: 0, latencyPerTokenMs: elapsedMs }) : undefined);
      if (!(error instanceof GatewayError)) {
        run.abandonedUsd += abandonedUsd; // no record to carry it (the client's own cancel reason)
        throw error;
      }
      const record = attemptRecord(deployment, AttemptOutcome.FAILURE, elapsedMs, error);
      record.costUsd = abandonedUsd; // in the answer's cost if a later attempt succeeds, else charged as unbilled
      attempts.push(record);
      if (deadline.signal.aborted) throw error;
      await this.cooldowns.onFailure(deployment.id, error, trial, callerShaped);
      at.failedHere.add(deployment.id);
      throw error;
    }
  }

  /** The first attempt plus hedges on other deployments of the group (src/router/hedging.ts). */
  private hedged<T>(first: Eligible, group: string, tagged: readonly ResolvedDeployment[], policy: HedgePolicy, run: RoutedCall<T>, at: GroupTry): Promise<OpenAttempt<T>> {
    const { route, attempts } = run;
    const racing = new Set<string>();
    type Racer = RacingAttempt<OpenAttempt<T>> & { deployment: ResolvedDeployment; startedMs: number };
    return raceWithHedges<OpenAttempt<T>>({
      clock: this.clock,
      delayMs: hedgeDelayMs(policy, this.latencyWindow(group, route.pick.streaming)),
      maxHedges: policy.maxHedges,
      launch: async (isHedge, cancel): Promise<Racer> => {
        let chosen = first;
        if (isHedge) {
          try {
            chosen = await this.choose(group, tagged, route.pick, at.failedHere, undefined, racing);
          } catch {
            throw new NoHedgeTarget(`no other deployment of "${group}" to hedge on`);
          }
        }
        racing.add(chosen.deployment.id);
        const startedMs = this.clock.now();
        return { deployment: chosen.deployment, startedMs, result: this.attempt(chosen, run, at, cancel) };
      },
      onLost: (racer) => {
        const { deployment, startedMs } = racer as Racer;
        const record = attemptRecord(deployment, AttemptOutcome.HEDGE_LOST, this.clock.now() - startedMs);
        // The prompt reached the provider, which bills for it even though the answer is dropped.
        record.costUsd = route.pick.promptTokens * deployment.inputCostPerToken;
        attempts.push(record);
      },
      discard: (open) => {
        // Succeeded just after another attempt won: drop its answer, keep its record honest.
        const record = [...open.attempts].reverse().find((a) => a.deploymentId === open.deployment.id && a.outcome === AttemptOutcome.SUCCESS);
        if (record) {
          record.outcome = AttemptOutcome.HEDGE_LOST;
          record.costUsd = route.pick.promptTokens * open.deployment.inputCostPerToken;
        }
        route.release?.(open.value);
        void open.lease.end();
      },
    });
  }

  /**
   * Filter, then the affinity choice when it is eligible, else the group's
   * strategy; a half-open pick must win its trial slot or is dropped for
   * this pick. `exclude` (hedges) rules deployments out entirely.
   */
  private async choose(
    group: string,
    deployments: readonly ResolvedDeployment[],
    pick: PickRequest,
    failedHere: ReadonlySet<string>,
    preferred?: ResolvedDeployment,
    exclude?: ReadonlySet<string>,
  ) {
    // In place over the store's view: no object per deployment per pick (see Selector); groups can have thousands.
    const selector = this.selector;
    const list = selector.list(deployments);
    let view = list.view;
    if (view) {
      const ready = this.store.viewReady?.(view, deployments);
      if (ready) await ready;
    } else view = await selector.snapshot(list);
    const strategy = this.strategies.get(group) ?? this.strategy;
    const readsInFlight = isIndexed(strategy) && strategy.readsInFlight === true;
    let dropped: number[] | undefined;
    for (;;) {
      const set = selector.candidates(list, view, group, this.clock.now(), pick.promptTokens, failedHere, exclude, dropped, readsInFlight);
      const sticky = preferred && !dropped ? selector.stickyIn(list, set, preferred, failedHere) : -1;
      const chosen = selector.eligible(set, sticky >= 0 ? sticky : selector.choose(strategy, set, pick));
      const deployment = chosen.deployment;
      this.adjustPending(deployment.id, +1); // synchronously with the pick: see Selector's pending
      if (!chosen.trial && !isCapped(deployment)) return chosen; // nothing to win: no await
      const taken = await this.take(chosen, pick);
      if (taken) return taken;
      (dropped ??= []).push(list.positionOf.get(deployment.id)!);
    }
  }

  /**
   * What must be won, not just read, before a pick stands: a slot under
   * max_parallel_requests, a request under this minute's rpm and, under a
   * tpm limit, this request's estimated tokens (reserved until it ends:
   * BeginCaps.tpm), claimed here atomically across every router sharing
   * the store (the call is then begun), and a half-open deployment's
   * single trial. Undefined when
   * another caller got there first: the pick is dropped and the next best
   * tried.
   */
  private async take(chosen: Eligible, pick: PickRequest): Promise<Eligible | undefined> {
    const deployment = chosen.deployment;
    let lease: Lease | undefined;
    if (isCapped(deployment)) {
      lease = await this.store.tryBegin(deployment.id, {
        maxInFlight: deployment.maxParallelRequests,
        rpm: deployment.rpmLimit,
        tpm: deployment.tpmLimit,
        tokens: pick.promptTokens + pick.completionTokens,
      });
      this.adjustPending(deployment.id, -1); // the store counts it from here (or it was not taken)
      if (!lease) return undefined;
    }
    const trialTtlMs = pick.streaming ? deployment.streamTimeoutMs : deployment.timeoutMs;
    if (!chosen.trial || (await this.store.tryBeginTrial(deployment.id, trialTtlMs))) return lease ? { ...chosen, lease } : chosen;
    if (lease) void lease.end(); // the trial went to another caller: give the slot back
    else this.adjustPending(deployment.id, -1);
    return undefined;
  }

  /**
   * choose(), but when every deployment that could serve the request is at
   * a limit that frees with time, wait in the group's queue (wait_queue)
   * for capacity instead of failing; newcomers queue behind waiters.
   */
  private async chooseOrWait<T>(
    group: string,
    deployments: readonly ResolvedDeployment[],
    run: RoutedCall<T>,
    failedHere: ReadonlySet<string>,
    preferred: ResolvedDeployment | undefined,
  ): Promise<Eligible> {
    const { route, deadline } = run;
    const queue = this.waitQueue;
    if (!queue) return this.choose(group, deployments, route.pick, failedHere, preferred);
    const priority = route.options?.priority ?? 0;
    let ticket: Ticket | undefined;
    const expired = () =>
      new GatewayError(ErrorKind.NO_DEPLOYMENT_AVAILABLE, `every deployment of "${group}" stayed at its limits for as long as the request could wait`);
    if (queue.hasWaiters(group)) {
      ticket = queue.enter(group, priority, run.caller);
      await queue.wait(ticket, deadline.signal, deadline.remainingMs(), expired);
    }
    for (;;) {
      try {
        const chosen = await this.choose(group, deployments, route.pick, failedHere, preferred);
        if (ticket) queue.served(ticket);
        return chosen;
      } catch (err) {
        const limited =
          err instanceof GatewayError &&
          err.kind === ErrorKind.NO_DEPLOYMENT_AVAILABLE &&
          anyAtLimitOnly(deployments, await this.store.stats(deployments.map((d) => d.id)), this.clock.now());
        if (!limited) {
          if (ticket) queue.wakeHead(group); // pass the turn on: this request is leaving the queue
          throw err;
        }
        ticket ??= queue.enter(group, priority, run.caller);
        this.hearCallEnds(queue);
        await queue.wait(ticket, deadline.signal, deadline.remainingMs(), () => err);
      }
    }
  }

  /**
   * While requests wait, wake them whenever a call ends in another worker
   * sharing the state (the store says when: nextCallEnd), instead of
   * leaving them to the next periodic re-check. One listener at a time.
   */
  private hearCallEnds(queue: WaitQueue): void {
    if (this.hearingCallEnds || !this.store.nextCallEnd) return;
    this.hearingCallEnds = true;
    void this.store.nextCallEnd().then(() => {
      this.hearingCallEnds = false;
      if (queue.wakeHeads()) this.hearCallEnds(queue);
    });
  }

  /** GetRouterState's view of the wait queues. */
  waitQueueState() {
    return this.waitQueue?.state() ?? [];
  }

  /** The group's deployments whose adapter offers `callType`, computed once per group and call type (groups can be large). */
  private capableOf(group: string, callType: CallType): readonly ResolvedDeployment[] {
    const key = `${callType}\u0000${group}`;
    let capable = this.capable.get(key);
    if (!capable) {
      capable = (this.config.groups.get(group) ?? []).filter((d) => this.runtime.call(callType, d) !== undefined);
      this.capable.set(key, capable);
    }
    return capable;
  }

  /**
   * The capable deployments carrying all `tags`, kept per group, call type
   * and tag set: selection precomputes per deployment list (Selector), so a
   * tagged request must reuse its list rather than filter a new one. At
   * most TAGGED_LISTS tag sets are kept; past that the cache starts over.
   */
  private taggedOf(group: string, callType: CallType, capable: readonly ResolvedDeployment[], tags: readonly string[]): readonly ResolvedDeployment[] {
    const key = `${callType}\u0000${group}\u0000${[...new Set(tags)].sort().join("\u0000")}`;
    let tagged = this.tagged.get(key);
    if (!tagged) {
      tagged = capable.filter((d) => tags.every((t) => d.tags.has(t)));
      if (this.tagged.size >= TAGGED_LISTS) this.tagged.clear();
      this.tagged.set(key, tagged);
    }
    return tagged;
  }

  /** The deployment's method for `callType`; routing picks only deployments that offer it (capableOf). */
  private method<C extends CallType>(callType: C, deployment: ResolvedDeployment): AdapterCalls[C] {
    const method = this.runtime.call(callType, deployment);
    if (!method) throw new GatewayError(ErrorKind.INTERNAL, `deployment ${deployment.id} does not offer ${CALL_TYPE_LABEL[callType]}`);
    return method;
  }

  private groupRouting(group: string): GroupRouting {
    return this.config.groupRouting.get(group) ?? { router: this.config.router };
  }

  /** The deployment rendezvous hashing assigns the request's affinity key to, among those that can serve it. */
  private affinityPick(route: RouteRequest, policy: AffinityPolicy, deployments: readonly ResolvedDeployment[]): ResolvedDeployment | undefined {
    const key = affinityKeyOf(route.options, route.completion, policy);
    return key === undefined ? undefined : rendezvousPick(key, deployments);
  }

  private latencyWindow(group: string, streaming: boolean): LatencyWindow {
    const name = streaming ? `${group}\u0000stream` : group;
    let window = this.latencies.get(name);
    if (!window) {
      window = new LatencyWindow();
      this.latencies.set(name, window);
    }
    return window;
  }

  private async anyEligible(group: string, deployments: readonly ResolvedDeployment[], pick: PickRequest): Promise<boolean> {
    const stats = await this.store.stats(deployments.map((d) => d.id));
    try {
      return eligibleDeployments({ group, deployments, stats, nowMs: this.clock.now(), promptTokens: pick.promptTokens }).length > 0;
    } catch {
      return false;
    }
  }

  private adjustPending(id: string, delta: number): void {
    this.selector.adjustPending(id, delta);
  }

  /**
   * Success: free the slot, record usage and latency, close a half-open circuit.
   * Off the answer's path unless it was a half-open trial: both stores apply
   * the local count and send the shared (Redis) update synchronously inside
   * `end`, so this instance's next pick and any later read of Redis already
   * see it; waiting for Redis's reply only delayed every answer by a round
   * trip. A trial still waits: its recovery must be visible to every
   * instance before the answer that proved the deployment healthy.
   */
  private async settle(open: OpenAttempt<unknown>, sample: SuccessSample): Promise<void> {
    open.deadline.dispose();
    if (!open.trial) {
      open.lease.end(sample).catch((err: unknown) => this.logger.warn({ err: String(err), deployment: open.deployment.id }, "router state: settling a call failed"));
      return;
    }
    await open.lease.end(sample);
    await this.cooldowns.onSuccess(open.deployment.id, open.trial);
  }

  /** A stream that failed after its first chunk: no retry, but the failure counts against the deployment. */
  private async failOpen(open: OpenAttempt<unknown>, error: unknown): Promise<void> {
    await open.lease.end();
    if (error instanceof GatewayError && !open.deadline.signal.aborted) {
      open.attempts[open.attempts.length - 1] = attemptRecord(open.deployment, AttemptOutcome.FAILURE, this.clock.now() - open.startedMs, error);
      await this.cooldowns.onFailure(open.deployment.id, error, open.trial, open.callerShaped);
    }
  }

  /** What a failed attempt means: the caller's abort or our overall timeout wins, then the attempt timer, then the adapter's error. */
  private attemptError(err: unknown, deadline: RequestDeadline, timer: AttemptTimer, deployment: ResolvedDeployment): unknown {
    if (deadline.signal.aborted) return deadline.signal.reason ?? err;
    if (timer.signal.aborted) return timer.signal.reason;
    if (err instanceof GatewayError) return err;
    return new GatewayError(ErrorKind.INTERNAL, `provider ${deployment.provider} failed unexpectedly`, {
      provider: deployment.provider,
      cause: err,
    });
  }
}

function completionRoute(request: CompletionRequest, callType: "complete" | "stream"): RouteRequest {
  return {
    model: request.model,
    options: request.options,
    callType,
    completion: request,
    pick: {
      streaming: callType === "stream",
      promptTokens: estimatePromptTokens(request),
      completionTokens: request.maxTokens ?? TYPICAL_COMPLETION_TOKENS,
    },
  };
}

function otherRoute(model: string, options: RequestOptions | undefined, callType: CallType): RouteRequest {
  return { model, options, callType, pick: { streaming: false, promptTokens: 0, completionTokens: 0 } };
}

function routedMeta(open: OpenAttempt<unknown>) {
  return {
    modelGroup: open.deployment.modelGroup,
    provider: open.deployment.provider,
    deploymentId: open.deployment.id,
    attempts: open.attempts,
  };
}

/** Tag sets whose deployment lists a router keeps (taggedOf); callers choose tags, so the cache is bounded. */
const TAGGED_LISTS = 1_024;

/** Whether a pick of the deployment claims its call (Router.take): it has a cap the claim checks. */
function isCapped(deployment: ResolvedDeployment): boolean {
  return deployment.maxParallelRequests !== undefined || deployment.rpmLimit !== undefined || deployment.tpmLimit !== undefined;
}

/** A lease whose end wakes the head of its group's wait queue: the slot it frees may be what the head waits for. */
function wakingLease(lease: Lease, queue: WaitQueue, group: string): Lease {
  return {
    end: async (sample) => {
      await lease.end(sample);
      queue.wakeHead(group);
    },
  };
}

/** Hedges that lost were still sent (and billed): their estimated cost is part of the request's. */
function unusedAttemptsCostUsd(attempts: readonly Attempt[]): number {
  let total = 0;
  for (const attempt of attempts) total += attempt.costUsd;
  return total;
}

function attemptRecord(deployment: ResolvedDeployment, outcome: AttemptOutcome, latencyMs: number, error?: GatewayError): Attempt {
  return create(AttemptSchema, {
    deploymentId: deployment.id,
    provider: deployment.provider,
    modelGroup: deployment.modelGroup,
    outcome,
    errorKind: error?.kind,
    errorMessage: error ? `${kindName(error.kind)}: ${error.message}` : "",
    httpStatus: error?.httpStatus ?? 0,
    latencyMs: Math.round(latencyMs * 1000) / 1000,
  });
}


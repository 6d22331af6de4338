import type { Clock } from "../../util/clock.js";
import {
  idleStats,
  MINUTE_MS,
  type BeginCaps,
  type DeploymentStateStore,
  type DeploymentStats,
  type Lease,
  type SuccessSample,
  tokensToCount,
  tokensToReserve,
  type TokenReservation,
} from "./state-store.js";
import { LiveStatsView, takesCalls, type StatsView } from "./stats-view.js";
import { applyCoolDown, applyHealth, applyLatencySample, applyRecovery, type DeploymentRecord } from "./transitions.js";

/** Latency averages are NaN until sampled (always a number, so the field keeps one representation in every object). */
interface LocalState extends DeploymentRecord {
  inFlight: number;
  /** Clock minute (epoch ms / 60000) the rpm/tpm counters belong to. */
  minute: number;
  rpm: number;
  tpm: number;
  drained: boolean;
}

/** Deployment state of this process only: the default, and the Redis store's fallback. */
export class MemoryStateStore implements DeploymentStateStore {
  readonly shared = false;
  private readonly states = new Map<string, LocalState>();
  /** Bumped after every write to health, drain, cooldown or trial (StatsView.availabilityVersion). */
  private version = 0;

  constructor(private readonly clock: Clock) {}

  /** Ids this store has seen, for the Redis store's resync after an outage. */
  knownIds(): string[] {
    return [...this.states.keys()];
  }

  async stats(ids: readonly string[]): Promise<Map<string, DeploymentStats>> {
    // One clock read per call, not several per deployment: groups can have a thousand deployments.
    const now = this.clock.now();
    const out = new Map<string, DeploymentStats>();
    for (const id of ids) out.set(id, this.statsOf(id, now));
    return out;
  }

  statsOf(id: string, now = this.clock.now()): DeploymentStats {
    const state = this.states.get(id);
    if (!state) return idleStats();
    this.rollWindows(state, now);
    return {
      inFlight: state.inFlight,
      rpm: state.rpm,
      tpm: state.tpm,
      latencyPerTokenMs: Number.isNaN(state.latencyPerTokenMs) ? undefined : state.latencyPerTokenMs,
      ttftMs: Number.isNaN(state.ttftMs) ? undefined : state.ttftMs,
      cooldownUntilMs: state.cooldownUntilMs,
      tripped: state.tripped,
      trialUntilMs: state.trialUntilMs > now ? state.trialUntilMs : 0,
      recentFailures: state.failures,
      lastError: state.lastError,
      unhealthy: state.unhealthy,
      drained: state.drained,
    };
  }

  availabilityVersion(): number {
    return this.version;
  }

  /** Reads the deployments' state objects in place; creates state for those not seen yet so the view can hold on to it. */
  view(ids: readonly string[]): StatsView {
    return new MemoryStatsView(
      this,
      ids.map((id) => this.state(id)),
      ids,
    );
  }

  async begin(id: string): Promise<Lease> {
    this.beginLocal(id);
    return { end: async (sample) => this.endLocal(id, sample) };
  }

  async tryBegin(id: string, caps: BeginCaps): Promise<Lease | undefined> {
    // One thread: the check and the count cannot interleave with another caller's.
    if (!this.admits(id, caps)) return undefined;
    const reservation = this.beginLocal(id, caps);
    return { end: async (sample) => this.endLocal(id, sample, reservation) };
  }

  /** Whether a begin under `caps` fits this process's own counts now. */
  admits(id: string, caps: BeginCaps): boolean {
    const state = this.state(id);
    return state.inFlight < (caps.maxInFlight ?? Infinity) && state.rpm < (caps.rpm ?? Infinity) && state.tpm < (caps.tpm ?? Infinity);
  }

  /** Counts a begin; with a tpm cap in `caps`, also reserves its tokens (returned, for endLocal). */
  beginLocal(id: string, caps?: BeginCaps): TokenReservation | undefined {
    const state = this.state(id);
    state.inFlight++;
    state.rpm++;
    const tokens = caps ? tokensToReserve(caps) : 0;
    if (tokens === 0) return undefined;
    state.tpm += tokens;
    return { tokens, minute: state.minute };
  }

  endLocal(id: string, sample?: SuccessSample, reservation?: TokenReservation): void {
    const state = this.state(id);
    state.inFlight = Math.max(0, state.inFlight - 1);
    const tokens = tokensToCount(sample?.totalTokens ?? 0, reservation, state.minute);
    if (tokens !== 0) state.tpm = Math.max(0, state.tpm + tokens);
    if (sample) applyLatencySample(state, sample);
  }

  async recordFailure(id: string, lastError: string, windowMs: number): Promise<number> {
    const state = this.state(id);
    state.lastError = lastError;
    if (this.clock.now() >= state.failureWindowEndsMs) {
      state.failures = 0;
      state.failureWindowEndsMs = this.clock.now() + windowMs;
    }
    return ++state.failures;
  }

  async coolDown(id: string, untilMs: number, lastError: string): Promise<void> {
    applyCoolDown(this.state(id), untilMs, lastError);
    this.version++;
  }

  async tryBeginTrial(id: string, ttlMs: number): Promise<boolean> {
    const state = this.state(id);
    const now = this.clock.now();
    if (state.trialUntilMs > now) return false;
    state.trialUntilMs = now + ttlMs;
    this.version++;
    return true;
  }

  async recover(id: string): Promise<void> {
    applyRecovery(this.state(id));
    this.version++;
  }

  async setHealth(id: string, healthy: boolean, lastError: string): Promise<void> {
    applyHealth(this.state(id), healthy, lastError);
    this.version++;
  }

  async setDrained(id: string, drained: boolean): Promise<void> {
    this.state(id).drained = drained;
    this.version++;
  }

  async close(): Promise<void> {}

  private state(id: string): LocalState {
    let state = this.states.get(id);
    if (!state) {
      state = {
        inFlight: 0,
        minute: this.minute(),
        rpm: 0,
        tpm: 0,
        latencyPerTokenMs: Number.NaN,
        ttftMs: Number.NaN,
        cooldownUntilMs: 0,
        tripped: false,
        trialUntilMs: 0,
        failureWindowEndsMs: 0,
        failures: 0,
        lastError: "",
        unhealthy: false,
        drained: false,
      };
      this.states.set(id, state);
    }
    this.rollWindows(state);
    return state;
  }

  private rollWindows(state: LocalState, now = this.clock.now()): void {
    const minute = Math.floor(now / MINUTE_MS);
    if (state.minute !== minute) {
      state.minute = minute;
      state.rpm = 0;
      state.tpm = 0;
    }
    if (state.failureWindowEndsMs !== 0 && now >= state.failureWindowEndsMs) {
      state.failures = 0;
      state.failureWindowEndsMs = 0;
    }
  }

  private minute(): number {
    return Math.floor(this.clock.now() / MINUTE_MS);
  }
}

/**
 * MemoryStateStore's view: the state objects themselves, never replaced
 * once created. Windows are not rolled here (a read does not write):
 * counters of an earlier minute read as 0, as rollWindows would make them.
 */
class MemoryStatsView extends LiveStatsView implements StatsView {
  constructor(
    private readonly store: MemoryStateStore,
    private readonly states: readonly LocalState[],
    private readonly ids: readonly string[],
  ) {
    super();
  }

  availabilityVersion(): number {
    return this.store.availabilityVersion();
  }
  available(i: number): boolean {
    const s = this.states[i]!;
    return takesCalls(s.unhealthy, s.drained, s.cooldownUntilMs, s.tripped, s.trialUntilMs, this.now);
  }
  inFlight(i: number): number {
    return this.states[i]!.inFlight;
  }
  rpm(i: number): number {
    const state = this.states[i]!;
    return state.minute === this.minute ? state.rpm : 0;
  }
  tpm(i: number): number {
    const state = this.states[i]!;
    return state.minute === this.minute ? state.tpm : 0;
  }
  latencyPerTokenMs(i: number): number {
    return this.states[i]!.latencyPerTokenMs;
  }
  ttftMs(i: number): number {
    return this.states[i]!.ttftMs;
  }
  cooldownUntilMs(i: number): number {
    return this.states[i]!.cooldownUntilMs;
  }
  tripped(i: number): boolean {
    return this.states[i]!.tripped;
  }
  trialUntilMs(i: number): number {
    const until = this.states[i]!.trialUntilMs;
    return until > this.now ? until : 0;
  }
  unhealthy(i: number): boolean {
    return this.states[i]!.unhealthy;
  }
  drained(i: number): boolean {
    return this.states[i]!.drained;
  }
  statsOf(i: number): DeploymentStats {
    return this.store.statsOf(this.ids[i]!, this.now);
  }
  readCounters(rpm: Float64Array, tpm: Float64Array, inFlight: Float64Array | undefined): void {
    const { states, minute } = this;
    for (let i = 0; i < states.length; i++) {
      const s = states[i]!;
      const current = s.minute === minute;
      rpm[i] = current ? s.rpm : 0;
      tpm[i] = current ? s.tpm : 0;
    }
    if (inFlight) for (let i = 0; i < states.length; i++) inFlight[i] = states[i]!.inFlight;
  }
  readLatencies(streaming: boolean, out: Float64Array): void {
    const states = this.states;
    if (streaming) for (let i = 0; i < states.length; i++) out[i] = states[i]!.ttftMs;
    else for (let i = 0; i < states.length; i++) out[i] = states[i]!.latencyPerTokenMs;
  }
}

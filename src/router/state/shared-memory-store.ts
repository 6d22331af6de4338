import type { Clock } from "../../util/clock.js";
import { MemoryStateStore } from "./memory-store.js";
import { MINUTE_MS, tokensToCount, tokensToReserve, type BeginCaps, type DeploymentStateStore, type DeploymentStats, type Lease, type SuccessSample, type TokenReservation } from "./state-store.js";
import { LiveStatsView, takesCalls, type StatsView } from "./stats-view.js";
import { ewma } from "./transitions.js";

// Int32 fields of one deployment's block; in-flight counts follow, one per worker slot.
const LOCK = 0;
const MINUTE = 1;
const RPM = 2;
const TPM = 3;
const TRIPPED = 4;
const FAILURES = 5;
const UNHEALTHY = 6;
const ERROR_LENGTH = 7;
const DRAINED = 8;
/** The sum of the worker slots' in-flight counts, kept alongside them so a pick reads one word, not one per worker. */
const IN_FLIGHT = 9;
const INT_FIELDS = 10;
// Float64 fields (epoch ms and moving averages; NaN = no sample yet).
const LATENCY_PER_TOKEN = 0;
const TTFT = 1;
const COOLDOWN_UNTIL = 2;
const TRIAL_UNTIL = 3;
const FAILURE_WINDOW_ENDS = 4;
const FLOAT_FIELDS = 5;
/** Longest last-error text kept, UTF-8 bytes; longer ones are cut (it is a human hint, not a record). */
const ERROR_BYTES = 512;
/** begin's caps: none, so tryBegin always begins. */
const NO_CAPS: BeginCaps = {};

/**
 * The memory behind a SharedMemoryStateStore: plain SharedArrayBuffers, so
 * the main thread allocates them once and hands the same memory to every
 * worker thread (workerData), including a worker that replaces a dead one.
 */
export interface SharedStateMemory {
  /**
   * Block i belongs to deploymentIds[i]. The list only grows: a hot reload
   * appends new ids (assignBlocks) and a removed deployment keeps its block,
   * so calls still finishing on it, and its state if it comes back, stay exact.
   */
  readonly deploymentIds: readonly string[];
  /** Blocks allocated: the start's deployments plus room for those added by reloads. */
  readonly capacity: number;
  readonly workerSlots: number;
  readonly ints: SharedArrayBuffer;
  readonly floats: SharedArrayBuffer;
  readonly errors: SharedArrayBuffer;
  /** One Int32: bumped after every write to a deployment's health, drain, cooldown or trial (StatsView.availabilityVersion). */
  readonly availability: SharedArrayBuffer;
  /** One Int32: bumped and notified whenever a call ends on any worker (SharedMemoryStateStore.nextCallEnd). */
  readonly callsEnded: SharedArrayBuffer;
}

/** Deployments that hot reloads may add over a pool's life, beyond those it started with (~0.6 KB each). */
export const RELOAD_HEADROOM = 1024;

export function allocateSharedStateMemory(deploymentIds: readonly string[], workerSlots: number, capacity = deploymentIds.length + RELOAD_HEADROOM): SharedStateMemory {
  const n = Math.max(capacity, deploymentIds.length);
  const memory: SharedStateMemory = {
    deploymentIds: [...deploymentIds],
    capacity: n,
    workerSlots,
    ints: new SharedArrayBuffer(n * (INT_FIELDS + workerSlots) * Int32Array.BYTES_PER_ELEMENT),
    floats: new SharedArrayBuffer(n * FLOAT_FIELDS * Float64Array.BYTES_PER_ELEMENT),
    errors: new SharedArrayBuffer(n * ERROR_BYTES),
    availability: new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT),
    callsEnded: new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT),
  };
  const floats = new Float64Array(memory.floats);
  for (let i = 0; i < n; i++) {
    floats[i * FLOAT_FIELDS + LATENCY_PER_TOKEN] = Number.NaN;
    floats[i * FLOAT_FIELDS + TTFT] = Number.NaN;
  }
  return memory;
}

/**
 * Forgets a dead worker's in-flight requests: they ended with it. Called by
 * the main thread before the slot's replacement starts.
 */
export function clearWorkerSlot(memory: SharedStateMemory, slot: number): void {
  const ints = new Int32Array(memory.ints);
  const stride = INT_FIELDS + memory.workerSlots;
  for (let i = 0; i < memory.capacity; i++) {
    const left = Atomics.exchange(ints, i * stride + INT_FIELDS + slot, 0);
    if (left !== 0) Atomics.sub(ints, i * stride + IN_FLIGHT, left);
  }
}

/**
 * The block assignment after a reload to `ids`: every id assigned so far
 * keeps its block, new ones get the next free blocks. Undefined when the
 * memory has no room left (the pool then refuses the reload).
 */
export function assignBlocks(memory: SharedStateMemory, ids: Iterable<string>): SharedStateMemory | undefined {
  const known = new Set(memory.deploymentIds);
  const added = [...new Set(ids)].filter((id) => !known.has(id));
  if (added.length === 0) return memory;
  if (memory.deploymentIds.length + added.length > memory.capacity) return undefined;
  return { ...memory, deploymentIds: [...memory.deploymentIds, ...added] };
}

/**
 * Deployment state shared by the worker threads of one gateway process
 * through shared memory: every worker reads and writes the same counters,
 * so in-flight counts, rpm/tpm windows, latency averages, cooldowns,
 * half-open trials and health are one view without Redis.
 *
 * In-flight counts are kept per worker slot, and their sum beside them
 * (what picks read), so a worker that dies takes exactly its own in-flight
 * requests with it (`clearWorkerSlot` takes its slot out of the sum). Every other change is a read-modify-write under the
 * deployment's spin lock (Atomics.compareExchange); critical sections are a
 * few field updates with no await, so waiting is bounded and brief.
 * Deployment ids without a block (none while the pool assigns every id
 * of every config it applies) fall back to this worker's own memory.
 */
export class SharedMemoryStateStore implements DeploymentStateStore {
  /** Shared by the workers of this process, not by other gateway instances: that is Redis' job. */
  readonly shared = false;
  private readonly ints: Int32Array;
  private readonly floats: Float64Array;
  private readonly errors: Uint8Array;
  private readonly availability: Int32Array;
  private readonly callsEnded: Int32Array;
  private index: Map<string, number>;
  private readonly stride: number;
  private readonly local: MemoryStateStore;
  private readonly encoder = new TextEncoder();
  private readonly decoder = new TextDecoder();

  constructor(
    memory: SharedStateMemory,
    /** This worker's slot, 0 ≤ slot < memory.workerSlots. */
    private readonly slot: number,
    private readonly clock: Clock,
  ) {
    if (!(slot >= 0 && slot < memory.workerSlots)) throw new RangeError(`worker slot ${slot} outside 0..${memory.workerSlots - 1}`);
    this.ints = new Int32Array(memory.ints);
    this.floats = new Float64Array(memory.floats);
    this.errors = new Uint8Array(memory.errors);
    this.availability = new Int32Array(memory.availability);
    this.callsEnded = new Int32Array(memory.callsEnded);
    this.index = new Map(memory.deploymentIds.map((id, i) => [id, i]));
    this.stride = INT_FIELDS + memory.workerSlots;
    this.local = new MemoryStateStore(clock);
  }

  /** Takes a reload's block assignment (assignBlocks): ids it adds get their shared blocks. */
  adoptBlocks(deploymentIds: readonly string[]): void {
    this.index = new Map(deploymentIds.map((id, i) => [id, i]));
  }

  async stats(ids: readonly string[]): Promise<Map<string, DeploymentStats>> {
    return new Map(ids.map((id) => [id, this.statsOf(id)]));
  }

  statsOf(id: string): DeploymentStats {
    const i = this.index.get(id);
    if (i === undefined) return this.local.statsOf(id);
    const now = this.clock.now();
    return this.locked(i, (int, float) => {
      this.rollWindows(int, float, now);
      const latency = this.floats[float + LATENCY_PER_TOKEN]!;
      const ttft = this.floats[float + TTFT]!;
      const trialUntil = this.floats[float + TRIAL_UNTIL]!;
      return {
        inFlight: this.inFlightOf(int),
        rpm: this.ints[int + RPM]!,
        tpm: this.ints[int + TPM]!,
        latencyPerTokenMs: Number.isNaN(latency) ? undefined : latency,
        ttftMs: Number.isNaN(ttft) ? undefined : ttft,
        cooldownUntilMs: this.floats[float + COOLDOWN_UNTIL]!,
        tripped: this.ints[int + TRIPPED] === 1,
        trialUntilMs: trialUntil > now ? trialUntil : 0,
        recentFailures: this.ints[int + FAILURES]!,
        lastError: this.readError(i, int),
        unhealthy: this.ints[int + UNHEALTHY] === 1,
        drained: this.ints[int + DRAINED] === 1,
      };
    });
  }

  /**
   * Reads the shared counters in place, without the lock: each field is
   * one aligned word, so a read sees a whole value, and a pick that reads
   * one field a write later is no worse than a pick a moment earlier.
   * Undefined when an id is outside the shared memory (its state is this
   * worker's own; selection then reads `stats`).
   */
  view(ids: readonly string[]): StatsView | undefined {
    const blocks = new Int32Array(ids.length);
    for (let k = 0; k < ids.length; k++) {
      const i = this.index.get(ids[k]!);
      if (i === undefined) return undefined;
      blocks[k] = i;
    }
    return new SharedStatsView(this, blocks, this.ints, this.floats, this.stride, ids);
  }

  async begin(id: string): Promise<Lease> {
    return (await this.tryBegin(id, NO_CAPS))!; // nothing to refuse it
  }

  async tryBegin(id: string, caps: BeginCaps): Promise<Lease | undefined> {
    const i = this.index.get(id);
    if (i === undefined) return this.local.tryBegin(id, caps);
    // This minute's request (and with a tpm cap, its tokens), checked and counted under the deployment's lock.
    const rpmCap = caps.rpm ?? Infinity;
    const tpmCap = caps.tpm ?? Infinity;
    const reserve = tokensToReserve(caps);
    const minute = this.locked(i, (int, float) => {
      this.rollWindows(int, float, this.clock.now());
      if (this.ints[int + RPM]! >= rpmCap || this.ints[int + TPM]! >= tpmCap) return undefined;
      this.ints[int + RPM]!++;
      this.ints[int + TPM]! += reserve;
      return this.ints[int + MINUTE]!;
    });
    if (minute === undefined) return undefined;
    // A slot of the in-flight total with compare-and-swap: of workers racing for the last one, exactly one wins.
    const total = i * this.stride + IN_FLIGHT;
    const maxInFlight = caps.maxInFlight ?? Infinity;
    for (let seen = Atomics.load(this.ints, total); ; ) {
      if (seen >= maxInFlight) {
        // No slot: give the minute's request and tokens back (unless the minute has turned since, which reset the counts).
        this.locked(i, (int) => {
          if (this.ints[int + MINUTE] !== minute) return;
          this.ints[int + RPM]!--;
          this.ints[int + TPM]! -= reserve;
        });
        return undefined;
      }
      const was = Atomics.compareExchange(this.ints, total, seen, seen + 1);
      if (was === seen) break;
      seen = was;
    }
    return this.leaseOn(i, reserve > 0 ? { tokens: reserve, minute } : undefined);
  }

  /** The rest of a begin whose in-flight total and rpm (and reserved tokens) are already counted: this worker's slot, the lease. */
  private leaseOn(i: number, reservation?: TokenReservation): Lease {
    Atomics.add(this.ints, i * this.stride + INT_FIELDS + this.slot, 1);
    let ended = false;
    return {
      end: async (sample?: SuccessSample) => {
        if (ended) return;
        ended = true;
        Atomics.sub(this.ints, i * this.stride + INT_FIELDS + this.slot, 1);
        Atomics.sub(this.ints, i * this.stride + IN_FLIGHT, 1);
        Atomics.add(this.callsEnded, 0, 1);
        Atomics.notify(this.callsEnded, 0);
        if (!sample && !reservation) return;
        this.locked(i, (int, float) => {
          this.rollWindows(int, float, this.clock.now());
          const tokens = tokensToCount(sample?.totalTokens ?? 0, reservation, this.ints[int + MINUTE]!);
          if (tokens !== 0) this.ints[int + TPM] = Math.max(0, this.ints[int + TPM]! + tokens);
          if (sample?.latencyPerTokenMs !== undefined) this.updateAverage(float + LATENCY_PER_TOKEN, sample.latencyPerTokenMs);
          if (sample?.ttftMs !== undefined) this.updateAverage(float + TTFT, sample.ttftMs);
        });
      },
    };
  }

  async recordFailure(id: string, lastError: string, windowMs: number): Promise<number> {
    const i = this.index.get(id);
    if (i === undefined) return this.local.recordFailure(id, lastError, windowMs);
    const now = this.clock.now();
    return this.locked(i, (int, float) => {
      this.writeError(i, int, lastError);
      if (now >= this.floats[float + FAILURE_WINDOW_ENDS]!) {
        this.ints[int + FAILURES] = 0;
        this.floats[float + FAILURE_WINDOW_ENDS] = now + windowMs;
      }
      return ++this.ints[int + FAILURES]!;
    });
  }

  async coolDown(id: string, untilMs: number, lastError: string): Promise<void> {
    const i = this.index.get(id);
    if (i === undefined) return this.local.coolDown(id, untilMs, lastError);
    this.locked(i, (int, float) => {
      this.floats[float + COOLDOWN_UNTIL] = Math.max(this.floats[float + COOLDOWN_UNTIL]!, untilMs);
      this.ints[int + TRIPPED] = 1;
      this.floats[float + TRIAL_UNTIL] = 0;
      this.ints[int + FAILURES] = 0;
      this.floats[float + FAILURE_WINDOW_ENDS] = 0;
      this.writeError(i, int, lastError);
    });
    this.bumpAvailability();
  }

  async tryBeginTrial(id: string, ttlMs: number): Promise<boolean> {
    const i = this.index.get(id);
    if (i === undefined) return this.local.tryBeginTrial(id, ttlMs);
    const now = this.clock.now();
    const began = this.locked(i, (_int, float) => {
      if (this.floats[float + TRIAL_UNTIL]! > now) return false;
      this.floats[float + TRIAL_UNTIL] = now + ttlMs;
      return true;
    });
    if (began) this.bumpAvailability();
    return began;
  }

  async recover(id: string): Promise<void> {
    const i = this.index.get(id);
    if (i === undefined) return this.local.recover(id);
    this.locked(i, (int, float) => {
      this.ints[int + TRIPPED] = 0;
      this.floats[float + TRIAL_UNTIL] = 0;
      this.floats[float + COOLDOWN_UNTIL] = 0;
      this.ints[int + FAILURES] = 0;
      this.floats[float + FAILURE_WINDOW_ENDS] = 0;
    });
    this.bumpAvailability();
  }

  async setHealth(id: string, healthy: boolean, lastError: string): Promise<void> {
    const i = this.index.get(id);
    if (i === undefined) return this.local.setHealth(id, healthy, lastError);
    this.locked(i, (int) => {
      this.ints[int + UNHEALTHY] = healthy ? 0 : 1;
      if (!healthy) this.writeError(i, int, lastError);
    });
    this.bumpAvailability();
  }

  async setDrained(id: string, drained: boolean): Promise<void> {
    const i = this.index.get(id);
    if (i === undefined) return this.local.setDrained(id, drained);
    Atomics.store(this.ints, i * this.stride + DRAINED, drained ? 1 : 0);
    this.bumpAvailability();
  }

  /** After the write it follows (Atomics order it): a reader that sees the new version sees the write. */
  private bumpAvailability(): void {
    Atomics.add(this.availability, 0, 1);
  }

  availabilityVersion(): number {
    return Atomics.load(this.availability, 0);
  }

  /**
   * Resolves the next time a call ends on any worker: a slot under
   * max_parallel_requests may have freed for this worker's waiters, which
   * a lease ending in another thread cannot wake directly. Waits with
   * Atomics.waitAsync, so no thread blocks and an idle worker spends nothing.
   */
  nextCallEnd(): Promise<void> {
    const wait = Atomics.waitAsync(this.callsEnded, 0, Atomics.load(this.callsEnded, 0));
    return wait.async ? wait.value.then(() => undefined) : Promise.resolve();
  }

  async close(): Promise<void> {}

  /** Runs `update` holding deployment i's lock; `int` and `float` are the offsets of its blocks. */
  private locked<T>(i: number, update: (int: number, float: number) => T): T {
    const int = i * this.stride;
    while (Atomics.compareExchange(this.ints, int + LOCK, 0, 1) !== 0) {
      // Another thread is inside a few-field update; yield the core briefly rather than burn it.
      Atomics.wait(this.ints, int + LOCK, 1, 1);
    }
    try {
      return update(int, i * FLOAT_FIELDS);
    } finally {
      Atomics.store(this.ints, int + LOCK, 0);
      Atomics.notify(this.ints, int + LOCK, 1);
    }
  }

  private inFlightOf(int: number): number {
    return Math.max(0, Atomics.load(this.ints, int + IN_FLIGHT));
  }

  private rollWindows(int: number, float: number, now: number): void {
    const minute = Math.floor(now / MINUTE_MS);
    if (this.ints[int + MINUTE] !== minute) {
      this.ints[int + MINUTE] = minute;
      this.ints[int + RPM] = 0;
      this.ints[int + TPM] = 0;
    }
    const windowEnds = this.floats[float + FAILURE_WINDOW_ENDS]!;
    if (windowEnds !== 0 && now >= windowEnds) {
      this.ints[int + FAILURES] = 0;
      this.floats[float + FAILURE_WINDOW_ENDS] = 0;
    }
  }

  private updateAverage(offset: number, sample: number): void {
    const previous = this.floats[offset]!;
    this.floats[offset] = ewma(previous, sample);
  }

  private writeError(i: number, int: number, text: string): void {
    const region = this.errors.subarray(i * ERROR_BYTES, (i + 1) * ERROR_BYTES);
    // encodeInto stops before a character that does not fit, so a cut text still decodes cleanly.
    const { written } = this.encoder.encodeInto(text, region);
    this.ints[int + ERROR_LENGTH] = written;
  }

  private readError(i: number, int: number): string {
    const length = this.ints[int + ERROR_LENGTH]!;
    // TextDecoder refuses views of shared memory; copy the few bytes out first.
    return length === 0 ? "" : this.decoder.decode(this.errors.slice(i * ERROR_BYTES, i * ERROR_BYTES + length));
  }
}

/** SharedMemoryStateStore's view: block indices of the listed deployments, read from the shared arrays. */
class SharedStatsView extends LiveStatsView implements StatsView {
  /** Offsets of each listed deployment's int and float blocks, computed once. */
  private readonly intAt: Int32Array;
  private readonly floatAt: Int32Array;

  constructor(
    private readonly store: SharedMemoryStateStore,
    blocks: Int32Array,
    private readonly ints: Int32Array,
    private readonly floats: Float64Array,
    private readonly stride: number,
    private readonly ids: readonly string[],
  ) {
    super();
    this.intAt = blocks.map((b) => b * stride);
    this.floatAt = blocks.map((b) => b * FLOAT_FIELDS);
  }

  availabilityVersion(): number {
    return this.store.availabilityVersion();
  }
  available(i: number): boolean {
    const int = this.intAt[i]!;
    const float = this.floatAt[i]!;
    const ints = this.ints;
    const floats = this.floats;
    return takesCalls(ints[int + UNHEALTHY] === 1, ints[int + DRAINED] === 1, floats[float + COOLDOWN_UNTIL]!, ints[int + TRIPPED] === 1, floats[float + TRIAL_UNTIL]!, this.now);
  }
  inFlight(i: number): number {
    const count = this.ints[this.intAt[i]! + IN_FLIGHT]!;
    return count > 0 ? count : 0;
  }
  rpm(i: number): number {
    const int = this.intAt[i]!;
    return this.ints[int + MINUTE] === this.minute ? this.ints[int + RPM]! : 0;
  }
  tpm(i: number): number {
    const int = this.intAt[i]!;
    return this.ints[int + MINUTE] === this.minute ? this.ints[int + TPM]! : 0;
  }
  latencyPerTokenMs(i: number): number {
    return this.floats[this.floatAt[i]! + LATENCY_PER_TOKEN]!;
  }
  ttftMs(i: number): number {
    return this.floats[this.floatAt[i]! + TTFT]!;
  }
  cooldownUntilMs(i: number): number {
    return this.floats[this.floatAt[i]! + COOLDOWN_UNTIL]!;
  }
  tripped(i: number): boolean {
    return this.ints[this.intAt[i]! + TRIPPED] === 1;
  }
  trialUntilMs(i: number): number {
    const until = this.floats[this.floatAt[i]! + TRIAL_UNTIL]!;
    return until > this.now ? until : 0;
  }
  unhealthy(i: number): boolean {
    return this.ints[this.intAt[i]! + UNHEALTHY] === 1;
  }
  drained(i: number): boolean {
    return this.ints[this.intAt[i]! + DRAINED] === 1;
  }
  statsOf(i: number): DeploymentStats {
    return this.store.statsOf(this.ids[i]!);
  }
  readCounters(rpm: Float64Array, tpm: Float64Array, inFlight: Float64Array | undefined): void {
    const { ints, intAt, minute } = this;
    const n = intAt.length;
    for (let i = 0; i < n; i++) {
      const int = intAt[i]!;
      const current = ints[int + MINUTE] === minute;
      rpm[i] = current ? ints[int + RPM]! : 0;
      tpm[i] = current ? ints[int + TPM]! : 0;
    }
    if (!inFlight) return;
    for (let i = 0; i < n; i++) {
      const count = ints[intAt[i]! + IN_FLIGHT]!;
      inFlight[i] = count > 0 ? count : 0;
    }
  }
  readLatencies(streaming: boolean, out: Float64Array): void {
    const { floats, floatAt } = this;
    const field = streaming ? TTFT : LATENCY_PER_TOKEN;
    for (let i = 0; i < floatAt.length; i++) out[i] = floats[floatAt[i]! + field]!;
  }
}

import { randomUUID } from "node:crypto";
import { Cluster, Redis, type RedisOptions } from "ioredis";
import { parseHostPort } from "../../cache/layers/redis.js";
import { silentLogger, type Logger } from "../../observability/logger.js";
import { redactSecrets } from "../../util/redact.js";
import type { Clock } from "../../util/clock.js";
import { MemoryStateStore } from "./memory-store.js";
import { ownWrites, RedisMirror, type DeploymentLimits, type MirrorView, type MirrorWrite, type SharedRead } from "./redis-mirror.js";
import {
  idleStats,
  LATENCY_EWMA_ALPHA,
  MINUTE_MS,
  type BeginCaps,
  type DeploymentStateStore,
  type DeploymentStats,
  type Lease,
  type StatsView,
  type SuccessSample,
  tokensToCount,
  tokensToReserve,
  type TokenReservation,
} from "./state-store.js";

export interface RedisStateStoreOptions {
  url: string;
  /** Redis Cluster seed nodes ("host:port"); when non-empty, `url` is unused. */
  clusterNodes?: readonly string[];
  /** Prefix of every key; router keys live under `<prefix>router:` (`<prefix>{router}:` on a cluster). */
  keyPrefix: string;
  /** Per-command timeout, ms: a slower Redis is treated as down for that call. */
  commandTimeoutMs: number;
  clock: Clock;
  logger?: Logger;
  /**
   * How long this instance counts as alive after its last heartbeat, ms
   * (heartbeats go every third of it). Another instance's in-flight
   * requests stop counting at most this long plus one heartbeat after it
   * died. Default 3000.
   */
  instanceLeaseMs?: number;
  /**
   * router_settings.state_sync_ms (the config's default is 100; createStateStore
   * passes it): when more than 0, `view` answers picks from a local mirror
   * refreshed from Redis this often, ms (RedisMirror); 0 or unset here: no
   * view, every pick reads Redis through `stats`.
   */
  stateSyncMs?: number;
}

/** After a command fails on a connected Redis (slow, overloaded), use local state for this long before trying again, ms. */
const DEGRADED_BACKOFF_MS = 1_000;
/** Usage counters outlive their minute a little, for readers near the boundary; Redis then expires them. */
const COUNTER_TTL_MS = 2 * MINUTE_MS;
/** An instance that dies mid-request leaves its in-flight field behind: readers ignore it once its lease lapses, and the whole key expires if no instance touches it. */
const IN_FLIGHT_TTL_MS = 10 * MINUTE_MS;
const DEFAULT_INSTANCE_LEASE_MS = 3_000;

// Scripts keep each read-modify-write atomic across instances. Times come
// from the gateway clock (ARGV), never Redis TIME, so every instance and
// every test agrees on "now".
const FINISH = `
local n = redis.call('HINCRBY', KEYS[1], ARGV[1], -1)
if n <= 0 then redis.call('HDEL', KEYS[1], ARGV[1]) end
local tokens = tonumber(ARGV[2])
if tokens and tokens ~= 0 then
  -- negative: a reservation larger than the tokens used (or a failed call's) given back
  if redis.call('INCRBY', KEYS[2], tokens) < 0 then redis.call('SET', KEYS[2], 0) end
  redis.call('PEXPIRE', KEYS[2], ARGV[6])
end
local alpha = tonumber(ARGV[5])
local fields = {'lat_tok', 'ttft'}
for i = 1, 2 do
  local sample = tonumber(ARGV[2 + i])
  if sample then
    local old = tonumber(redis.call('HGET', KEYS[3], fields[i]))
    if old then sample = old + alpha * (sample - old) end
    redis.call('HSET', KEYS[3], fields[i], tostring(sample))
  end
end
return 1`;

const RECORD_FAILURE = `
local now = tonumber(ARGV[1])
local ends = tonumber(redis.call('HGET', KEYS[1], 'fail_window_ends')) or 0
local n
if now >= ends then
  redis.call('HSET', KEYS[1], 'fail_window_ends', now + tonumber(ARGV[2]), 'fails', 1)
  n = 1
else
  n = redis.call('HINCRBY', KEYS[1], 'fails', 1)
end
redis.call('HSET', KEYS[1], 'last_error', ARGV[3])
return n`;

const COOL_DOWN = `
local current = tonumber(redis.call('HGET', KEYS[1], 'cooldown_until')) or 0
local untilMs = tonumber(ARGV[1])
if current > untilMs then untilMs = current end
redis.call('HSET', KEYS[1], 'cooldown_until', untilMs, 'tripped', 1, 'trial_until', 0, 'fails', 0, 'fail_window_ends', 0, 'last_error', ARGV[2])
return 1`;

const BEGIN_TRIAL = `
local now = tonumber(ARGV[1])
local busy = tonumber(redis.call('HGET', KEYS[1], 'trial_until')) or 0
if busy > now then return 0 end
redis.call('HSET', KEYS[1], 'trial_until', now + tonumber(ARGV[2]))
return 1`;

// begin under caps (a negative cap is none): this minute's requests (KEYS[2]) below ARGV[5], its tokens (KEYS[3])
// below ARGV[6], and the live instances' in-flight shares (ARGV[8..] are instances whose lease lapsed) below ARGV[2];
// reserves ARGV[7] tokens; 1 when begun, 0 at a cap.
const BEGIN_BELOW = `
local rpmCap = tonumber(ARGV[5])
if rpmCap >= 0 and (tonumber(redis.call('GET', KEYS[2])) or 0) >= rpmCap then return 0 end
local tpmCap = tonumber(ARGV[6])
if tpmCap >= 0 and (tonumber(redis.call('GET', KEYS[3])) or 0) >= tpmCap then return 0 end
local inFlightCap = tonumber(ARGV[2])
if inFlightCap >= 0 then
  local dead = {}
  for i = 8, #ARGV do dead[ARGV[i]] = true end
  local shares = redis.call('HGETALL', KEYS[1])
  local sum = 0
  for i = 1, #shares, 2 do
    local n = tonumber(shares[i + 1])
    if not dead[shares[i]] and n > 0 then sum = sum + n end
  end
  if sum >= inFlightCap then return 0 end
end
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
local reserve = tonumber(ARGV[7])
if reserve > 0 then
  redis.call('INCRBY', KEYS[3], reserve)
  redis.call('PEXPIRE', KEYS[3], ARGV[4])
end
return 1`;

/** What a mirror refresh reads of each deployment's state hash (RedisMirror.runRound): HMGET, not the whole hash. */
const MIRRORED_FIELDS = ["cooldown_until", "tripped", "trial_until", "unhealthy", "drained", "fails", "fail_window_ends", "last_error", "lat_tok", "ttft"] as const;

/** An HMGET of MIRRORED_FIELDS as the hash's fields that are set. */
function stateHash(values: ReadonlyArray<string | null>): Record<string, string> {
  const hash: Record<string, string> = {};
  for (let f = 0; f < MIRRORED_FIELDS.length; f++) if (values[f] !== null && values[f] !== undefined) hash[MIRRORED_FIELDS[f]!] = values[f]!;
  return hash;
}

interface Scripts {
  switchyardFinish(...args: Array<string | number>): Promise<number>;
  switchyardRecordFailure(...args: Array<string | number>): Promise<number>;
  switchyardCoolDown(...args: Array<string | number>): Promise<number>;
  switchyardBeginTrial(...args: Array<string | number>): Promise<number>;
  switchyardBeginBelow(...args: Array<string | number>): Promise<number>;
}

/**
 * Deployment state shared by every gateway instance through Redis.
 *
 * Every change is applied to a local MemoryStateStore first and then to
 * Redis, so when Redis is down or slower than `commandTimeoutMs` the router
 * carries on with this instance's own view and never fails a request for
 * it. When Redis comes back, this instance's in-flight counts and cooldowns
 * are written back and sharing resumes.
 */
export class RedisStateStore implements DeploymentStateStore {
  private readonly redis: (Redis | Cluster) & Scripts;
  private readonly local: MemoryStateStore;
  private readonly prefix: string;
  private readonly clock: Clock;
  private readonly logger: Logger;
  /** Identifies this instance's share of each in-flight counter. */
  private readonly instanceId = randomUUID();
  private readonly instanceLeaseMs: number;
  /**
   * Instances whose lease lapsed at the last heartbeat: their shares of the
   * in-flight counters are left out. An instance not known yet (started
   * since) counts, so a new instance is never undercounted.
   */
  private deadInstances: ReadonlySet<string> = new Set();
  /** Registered instances whose lease is live at the last heartbeat, this one included; 1 before the first. */
  private liveInstances = 1;
  private heartbeatTimer?: NodeJS.Timeout;
  private degradedUntilMs = 0;
  /** state_sync_ms > 0: the mirror picks read, and the connection that hears other instances' availability changes. */
  private readonly mirror?: RedisMirror;
  private readonly subscriber?: Redis | Cluster;

  constructor(options: RedisStateStoreOptions, local?: MemoryStateStore) {
    this.clock = options.clock;
    this.logger = options.logger ?? silentLogger;
    this.local = local ?? new MemoryStateStore(options.clock);
    const clustered = (options.clusterNodes?.length ?? 0) > 0;
    // On a cluster every router key carries the {router} hash tag: one slot, so the
    // multi-key scripts, MULTI blocks and pipelines below stay single-node and atomic.
    this.prefix = clustered ? `${options.keyPrefix}{router}:` : `${options.keyPrefix}router:`;
    this.instanceLeaseMs = options.instanceLeaseMs ?? DEFAULT_INSTANCE_LEASE_MS;
    const connection: RedisOptions = {
      commandTimeout: options.commandTimeoutMs,
      connectTimeout: Math.max(1_000, options.commandTimeoutMs),
      // Fail fast while disconnected instead of queueing: the caller falls back to local state.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: (times) => Math.min(50 * 2 ** times, 2_000),
    };
    const redis = clustered
      ? new Cluster(options.clusterNodes!.map(parseHostPort), {
          enableOfflineQueue: false,
          clusterRetryStrategy: (times) => Math.min(50 * 2 ** times, 2_000),
          redisOptions: connection,
        })
      : new Redis(options.url, connection);
    redis.defineCommand("switchyardFinish", { numberOfKeys: 3, lua: FINISH });
    redis.defineCommand("switchyardRecordFailure", { numberOfKeys: 1, lua: RECORD_FAILURE });
    redis.defineCommand("switchyardCoolDown", { numberOfKeys: 1, lua: COOL_DOWN });
    redis.defineCommand("switchyardBeginTrial", { numberOfKeys: 1, lua: BEGIN_TRIAL });
    redis.defineCommand("switchyardBeginBelow", { numberOfKeys: 3, lua: BEGIN_BELOW });
    redis.on("error", (err: Error) => this.logger.debug({ err: redactSecrets(err.message) }, "router state: redis error"));
    redis.on("ready", () => {
      this.degradedUntilMs = 0;
      this.startHeartbeat();
      void this.heartbeat().then(() => this.resync());
    });
    this.redis = redis as (Redis | Cluster) & Scripts;
    if ((options.stateSyncMs ?? 0) > 0) {
      const store = this;
      this.mirror = new RedisMirror(
        {
          get shared() {
            return store.shared;
          },
          read: (ids, minute, withState) => this.readShared(ids, minute, withState),
          get liveInstances() {
            return store.liveInstances;
          },
        },
        this.local,
        this.clock,
        options.stateSyncMs!,
      );
      this.subscriber = this.subscribeToChanges(redis);
    }
  }

  get shared(): boolean {
    return this.redis.status === "ready" && this.clock.now() >= this.degradedUntilMs;
  }

  async stats(ids: readonly string[]): Promise<Map<string, DeploymentStats>> {
    const local = await this.local.stats(ids);
    const minute = this.minute();
    const shared = await this.shared_(async () => {
      const pipeline = this.redis.pipeline();
      for (const id of ids) {
        pipeline.hgetall(this.key(id));
        pipeline.hgetall(this.key(id, "inflight"));
        pipeline.get(this.key(id, `rpm:${minute}`));
        pipeline.get(this.key(id, `tpm:${minute}`));
      }
      const replies = (await pipeline.exec()) ?? [];
      for (const [err] of replies) if (err) throw err;
      return replies.map(([, value]) => value);
    });
    if (!shared) return local;
    const now = this.clock.now();
    const out = new Map<string, DeploymentStats>();
    ids.forEach((id, i) => {
      const hash = (shared[i * 4] ?? {}) as Record<string, string>;
      const inFlight = this.liveInFlight((shared[i * 4 + 1] ?? {}) as Record<string, string>);
      const num = (v: unknown) => (v === null || v === undefined ? 0 : Number(v));
      const optional = (v: string | undefined) => (v === undefined ? undefined : Number(v));
      const mine = local.get(id) ?? idleStats();
      const trialUntil = num(hash.trial_until);
      out.set(id, {
        inFlight,
        rpm: num(shared[i * 4 + 2]),
        tpm: num(shared[i * 4 + 3]),
        latencyPerTokenMs: optional(hash.lat_tok),
        ttftMs: optional(hash.ttft),
        // A cooldown this instance set while Redis was away still counts.
        cooldownUntilMs: Math.max(num(hash.cooldown_until), mine.cooldownUntilMs),
        tripped: hash.tripped === "1",
        trialUntilMs: trialUntil > now ? trialUntil : 0,
        recentFailures: num(hash.fail_window_ends) > now ? num(hash.fails) : 0,
        lastError: hash.last_error ?? "",
        unhealthy: hash.unhealthy === "1",
        drained: hash.drained === "1",
      });
    });
    return out;
  }

  /** With state_sync_ms > 0, a view over the local mirror of the deployments' shared state (see RedisMirror); else none. */
  view(ids: readonly string[]): StatsView | undefined {
    return this.mirror?.view(ids);
  }

  /** Before a pick reads `view`: see RedisMirror.ready (a refresh when stale, a read of near-limit deployments' counters). */
  viewReady(view: StatsView, limits?: readonly DeploymentLimits[]): Promise<void> | undefined {
    return this.mirror?.ready(view as MirrorView, limits);
  }

  /** One refresh of the mirror from Redis now (the refresh loop's step); a no-op without a mirror. */
  async refreshMirror(): Promise<void> {
    await this.mirror?.refresh();
  }

  async begin(id: string): Promise<Lease> {
    this.local.beginLocal(id);
    this.mirror?.noteBegin();
    const minute = this.minute();
    await this.shared_(() =>
      this.redis
        .multi()
        .hincrby(this.key(id, "inflight"), this.instanceId, 1)
        .pexpire(this.key(id, "inflight"), IN_FLIGHT_TTL_MS)
        .incr(this.key(id, `rpm:${minute}`))
        .pexpire(this.key(id, `rpm:${minute}`), COUNTER_TTL_MS)
        .exec(),
    );
    return this.leaseOf(id);
  }

  async tryBegin(id: string, caps: BeginCaps): Promise<Lease | undefined> {
    const minute = this.minute();
    const reserve = tokensToReserve(caps);
    const begun = await this.shared_(() =>
      this.redis.switchyardBeginBelow(
        this.key(id, "inflight"),
        this.key(id, `rpm:${minute}`),
        this.key(id, `tpm:${minute}`),
        this.instanceId,
        caps.maxInFlight ?? -1,
        IN_FLIGHT_TTL_MS,
        COUNTER_TTL_MS,
        caps.rpm ?? -1,
        caps.tpm ?? -1,
        reserve,
        ...this.deadInstances,
      ),
    );
    if (begun === 0) return undefined;
    // Redis is away: this instance's own counts are the ones there are.
    if (begun === undefined && !this.local.admits(id, caps)) return undefined;
    // Counted in Redis first here: a mirror refresh read in between counts this begin as another instance's
    // until the next refresh (one request too many in rpm: the safe side).
    const reservation = this.local.beginLocal(id, caps); // reserves the same tokensToReserve(caps) locally
    this.mirror?.noteBegin();
    if (reservation) this.mirror?.noteTokens(reservation.tokens);
    // Redis holds the reservation only if the script ran; otherwise its end counts the tokens used, as a begin without one.
    return this.leaseOf(id, reservation, begun === 1 ? reservation : undefined);
  }

  /**
   * The lease of a request begun on `id` (locally and, when Redis is up,
   * there): its end releases both, replacing the tokens each reserved
   * (`local`, `shared`) with those used.
   */
  private leaseOf(id: string, local?: TokenReservation, shared?: TokenReservation): Lease {
    let ended = false;
    return {
      end: async (sample?: SuccessSample) => {
        if (ended) return;
        ended = true;
        this.local.endLocal(id, sample, local);
        const minute = this.minute();
        const tokens = tokensToCount(sample?.totalTokens ?? 0, shared, minute);
        if (tokens > 0) this.mirror?.noteTokens(tokens);
        const mirrored = sample && (sample.latencyPerTokenMs !== undefined || sample.ttftMs !== undefined) ? this.mirror?.write(id, ownWrites.sample(sample), false) : undefined;
        // Decrement whenever Redis is up: a resync after an outage wrote this instance's local count, which includes this request.
        await this.settling(mirrored, () =>
          this.redis.switchyardFinish(
            this.key(id, "inflight"),
            this.key(id, `tpm:${minute}`),
            this.key(id),
            this.instanceId,
            tokens,
            sample?.latencyPerTokenMs ?? "",
            sample?.ttftMs ?? "",
            LATENCY_EWMA_ALPHA,
            COUNTER_TTL_MS,
          ),
        );
      },
    };
  }

  async recordFailure(id: string, lastError: string, windowMs: number): Promise<number> {
    const localCount = await this.local.recordFailure(id, lastError, windowMs);
    const shared = await this.shared_(() => this.redis.switchyardRecordFailure(this.key(id), this.clock.now(), windowMs, lastError));
    return shared ?? localCount;
  }

  async coolDown(id: string, untilMs: number, lastError: string): Promise<void> {
    await this.local.coolDown(id, untilMs, lastError);
    const mirrored = this.mirror?.write(id, ownWrites.coolDown(untilMs, lastError), true);
    await this.settling(mirrored, () => this.redis.switchyardCoolDown(this.key(id), untilMs, lastError));
    await this.announce();
  }

  async tryBeginTrial(id: string, ttlMs: number): Promise<boolean> {
    const now = this.clock.now();
    const shared = await this.shared_(() => this.redis.switchyardBeginTrial(this.key(id), now, ttlMs));
    let won: boolean;
    if (shared === undefined) won = await this.local.tryBeginTrial(id, ttlMs);
    else {
      if (shared === 1) await this.local.tryBeginTrial(id, ttlMs);
      won = shared === 1;
    }
    if (won && this.mirror) {
      // Redis has it already: nothing to wait for before a refresh reads it.
      this.mirror.write(id, ownWrites.trial(now + ttlMs), true).settle();
      await this.announce();
    }
    return won;
  }

  async recover(id: string): Promise<void> {
    await this.local.recover(id);
    const mirrored = this.mirror?.write(id, ownWrites.recover(), true);
    await this.settling(mirrored, () =>
      this.redis.hset(this.key(id), { tripped: 0, trial_until: 0, cooldown_until: 0, fails: 0, fail_window_ends: 0 }),
    );
    await this.announce();
  }

  async setHealth(id: string, healthy: boolean, lastError: string): Promise<void> {
    await this.local.setHealth(id, healthy, lastError);
    const mirrored = this.mirror?.write(id, ownWrites.health(healthy, lastError), true);
    await this.settling(mirrored, () =>
      this.redis.hset(this.key(id), healthy ? { unhealthy: 0 } : { unhealthy: 1, last_error: lastError }),
    );
    await this.announce();
  }

  async setDrained(id: string, drained: boolean): Promise<void> {
    await this.local.setDrained(id, drained);
    const mirrored = this.mirror?.write(id, ownWrites.drained(drained), true);
    await this.settling(mirrored, () => this.redis.hset(this.key(id), { drained: drained ? 1 : 0 }));
    await this.announce();
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeatTimer);
    this.mirror?.stop();
    this.subscriber?.disconnect();
    this.redis.disconnect();
  }

  /** The mirror's channel: other instances' availability changes are announced here (state_sync_ms > 0). */
  private get changesChannel(): string {
    return `${this.prefix}changes`;
  }

  /**
   * A second connection (subscribed connections take no other commands)
   * that marks the mirror stale when another instance announces a
   * cooldown, recovery, drain, health change or trial, so picks see it
   * within a network hop rather than a sync interval. On a Redis Cluster,
   * PUBLISH reaches every node's subscribers. Also stale after each
   * (re)subscribe: announcements made while disconnected are lost.
   */
  private subscribeToChanges(redis: Redis | Cluster): Redis | Cluster {
    const subscriber = redis.duplicate();
    subscriber.on("error", (err: Error) => this.logger.debug({ err: redactSecrets(err.message) }, "router state: redis subscriber error"));
    subscriber.on("ready", () => {
      subscriber.subscribe(this.changesChannel).then(
        () => this.mirror!.invalidate(),
        (err: Error) => this.logger.warn({ err: redactSecrets(err.message) }, "router state: cannot subscribe to state changes; other instances' changes wait for the next sync"),
      );
    });
    subscriber.on("message", (_channel: string, from: string) => {
      if (from !== this.instanceId) this.mirror!.invalidate();
    });
    return subscriber;
  }

  /** Tells the other instances' mirrors that an availability field changed (after the write: their refresh then reads it). */
  private async announce(): Promise<void> {
    if (!this.mirror) return;
    await this.shared_(() => this.redis.publish(this.changesChannel, this.instanceId));
  }

  /** shared_, settling the mirror's copy of the write once Redis has answered (or the write was not sent). */
  private async settling<T>(mirrored: MirrorWrite | undefined, operation: () => Promise<T>): Promise<T | undefined> {
    try {
      return await this.shared_(operation);
    } finally {
      mirrored?.settle();
    }
  }

  /** The mirror's refresh read: each deployment's state hash and in-flight shares, then the minute's rpm/tpm counters in one MGET. */
  /** The mirror's read: in-flight shares and the minute's counters of every deployment, and with `withState` the state fields it mirrors. */
  private readShared(ids: readonly string[], minute: number, withState: boolean): Promise<SharedRead[] | undefined> {
    return this.shared_(async () => {
      const pipeline = this.redis.pipeline();
      for (const id of ids) pipeline.hgetall(this.key(id, "inflight"));
      pipeline.mget([...ids.map((id) => this.key(id, `rpm:${minute}`)), ...ids.map((id) => this.key(id, `tpm:${minute}`))]);
      if (withState) for (const id of ids) pipeline.hmget(this.key(id), ...MIRRORED_FIELDS);
      const replies = (await pipeline.exec()) ?? [];
      for (const [err] of replies) if (err) throw err;
      const counters = replies[ids.length]![1] as Array<string | null>;
      return ids.map((_, i) => ({
        hash: withState ? stateHash(replies[ids.length + 1 + i]![1] as Array<string | null>) : undefined,
        othersInFlight: this.liveInFlight((replies[i]![1] ?? {}) as Record<string, string>, this.instanceId),
        rpm: Number(counters[i] ?? 0),
        tpm: Number(counters[ids.length + i] ?? 0),
      }));
    });
  }

  /** Sum of the per-instance shares of an in-flight counter, leaving out instances whose lease lapsed (and `except`). */
  private liveInFlight(shares: Record<string, string>, except?: string): number {
    let sum = 0;
    for (const [instance, count] of Object.entries(shares)) {
      if (!this.deadInstances.has(instance) && instance !== except) sum += Math.max(0, Number(count));
    }
    return sum;
  }

  private startHeartbeat(): void {
    if (this.heartbeatTimer) return;
    // Real time, not the injected clock: liveness is judged by Redis' own key
    // expiry (the one clock all hosts share, so no skew), which a fake clock
    // cannot move. unref: a heartbeat never keeps the process alive.
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), Math.max(1, Math.floor(this.instanceLeaseMs / 3)));
    this.heartbeatTimer.unref();
  }

  /**
   * Renews this instance's lease key (expiring after instanceLeaseMs unless
   * renewed) and learns which registered instances' leases lapsed: a
   * SIGKILLed gateway stops renewing, and its in-flight shares stop
   * counting. Off the request path: requests only read the set it leaves.
   */
  private async heartbeat(): Promise<void> {
    const registry = `${this.prefix}instances`;
    const now = this.clock.now();
    await this.shared_(async () => {
      const [, , members] = (await this.redis
        .multi()
        .set(this.instanceKey(this.instanceId), "1", "PX", this.instanceLeaseMs)
        .hset(registry, this.instanceId, now)
        .hgetall(registry)
        .exec())!.map(([err, value]) => {
        if (err) throw err;
        return value;
      }) as [unknown, unknown, Record<string, string>];
      const ids = Object.keys(members);
      const leases = await this.redis.mget(ids.map((id) => this.instanceKey(id)));
      const dead = new Set<string>();
      const forgotten: string[] = [];
      ids.forEach((id, i) => {
        if (leases[i] !== null) return;
        dead.add(id);
        // Instances gone longer than any in-flight key lives leave nothing to ignore.
        if (now - Number(members[id]) > IN_FLIGHT_TTL_MS) forgotten.push(id);
      });
      if (forgotten.length > 0) await this.redis.hdel(registry, ...forgotten);
      this.deadInstances = dead;
      this.liveInstances = Math.max(1, ids.length - dead.size);
    });
  }

  private instanceKey(id: string): string {
    return `${this.prefix}instance:${id}`;
  }

  /** Runs a Redis operation when Redis is usable; undefined (and local state wins) when it is not or the call fails. */
  private async shared_<T>(operation: () => Promise<T>): Promise<T | undefined> {
    if (!this.shared) return undefined;
    try {
      return await operation();
    } catch (err) {
      this.degradedUntilMs = this.clock.now() + DEGRADED_BACKOFF_MS;
      this.logger.warn({ err: redactSecrets((err as Error).message) }, "router state: redis unavailable, using local state");
      return undefined;
    }
  }

  /** After (re)connecting: write this instance's in-flight counts and live cooldowns, so state kept locally during an outage is shared again. */
  private async resync(): Promise<void> {
    const now = this.clock.now();
    const ids = this.local.knownIds();
    if (ids.length === 0) return;
    await this.shared_(async () => {
      const writes: Array<Promise<unknown>> = [];
      for (const id of ids) {
        const stats = this.local.statsOf(id);
        if (stats.inFlight > 0) writes.push(this.redis.hset(this.key(id, "inflight"), this.instanceId, stats.inFlight));
        else writes.push(this.redis.hdel(this.key(id, "inflight"), this.instanceId));
        if (stats.cooldownUntilMs > now) writes.push(this.redis.switchyardCoolDown(this.key(id), stats.cooldownUntilMs, stats.lastError));
      }
      await Promise.all(writes);
    });
  }

  private key(id: string, suffix?: string): string {
    return suffix ? `${this.prefix}${id}:${suffix}` : `${this.prefix}${id}`;
  }

  private minute(): number {
    return Math.floor(this.clock.now() / MINUTE_MS);
  }
}

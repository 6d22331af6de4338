import { Redis } from "ioredis";
import type { Logger } from "../observability/logger.js";
import { MINUTE_MS, periodStartMs, type KeyRecord } from "./key-record.js";
import type { Admission, KeyStore } from "./key-store.js";

export interface RedisKeyStoreOptions {
  url: string;
  keyPrefix: string;
  commandTimeoutMs: number;
  logger: Logger;
}

// One script per check so that two instances can never both see "under the
// limit" for the last slot. Times come from the gateway clock (ARGV).
// rpm is a sliding window (a sorted set of admission times): 100 calls in
// one second against rpm 60 admit exactly 60, with no minute-boundary burst.
const ADMIT = `
local now = tonumber(ARGV[1])
local rpm = tonumber(ARGV[2])
local tpm = tonumber(ARGV[3])
local budget = tonumber(ARGV[4])
local spent = 0
local estimate = 0
if budget > 0 then
  spent = tonumber(redis.call('GET', KEYS[3]) or '0')
  if spent >= budget then return {3, 0, tostring(spent)} end
  local stats = redis.call('HMGET', KEYS[4], 'calls', 'cost')
  local calls = tonumber(stats[1] or '0')
  if calls > 0 then estimate = tonumber(stats[2]) / calls end
  if estimate > 0 then
    local reserved = 0
    local held = redis.call('HGETALL', KEYS[5])
    for i = 1, #held, 2 do
      local sep = string.find(held[i + 1], ':', 1, true)
      local expires = tonumber(string.sub(held[i + 1], 1, sep - 1))
      if expires <= now then redis.call('HDEL', KEYS[5], held[i])
      else reserved = reserved + tonumber(string.sub(held[i + 1], sep + 1)) end
    end
    if spent + reserved >= budget then return {4, 0, tostring(spent)} end
  end
end
if tpm > 0 then
  local used = tonumber(redis.call('GET', KEYS[2]) or '0')
  if used >= tpm then return {2, 60000 - (now % 60000), '0'} end
end
if rpm > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - 60000)
  if redis.call('ZCARD', KEYS[1]) >= rpm then
    local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
    return {1, tonumber(oldest[2]) + 60000 - now, '0'}
  end
  redis.call('ZADD', KEYS[1], now, ARGV[5])
  redis.call('PEXPIRE', KEYS[1], 61000)
end
if estimate > 0 then
  redis.call('HSET', KEYS[5], ARGV[5], (now + tonumber(ARGV[6])) .. ':' .. tostring(estimate))
  redis.call('PEXPIRE', KEYS[5], ARGV[6])
  return {5, 0, '0'}
end
return {0, 0, '0'}`;

const ADD_USAGE = `
if ARGV[4] ~= '' then redis.call('HDEL', KEYS[4], ARGV[4]) end
local cost = tonumber(ARGV[1])
if cost > 0 then
  redis.call('INCRBYFLOAT', KEYS[1], ARGV[1])
  local ttl = tonumber(ARGV[3])
  if ttl > 0 then redis.call('PEXPIRE', KEYS[1], ttl) end
  redis.call('HINCRBYFLOAT', KEYS[3], 'cost', ARGV[1])
  redis.call('HINCRBY', KEYS[3], 'calls', 1)
end
local tokens = tonumber(ARGV[2])
if tokens > 0 then
  redis.call('INCRBY', KEYS[2], tokens)
  redis.call('PEXPIRE', KEYS[2], 120000)
end
return 1`;

/** How long start() waits for Redis before the gateway refuses to start, ms. */
const START_TIMEOUT_MS = 5_000;

/** A reservation outlives a call that never settles (its instance died) by this much, then frees itself, ms. */
const RESERVATION_TTL_MS = 10 * 60_000;

/**
 * Keys and counters in Redis, shared by every instance. Layout under
 * `<prefix>auth:`: `key:<id>` (settings JSON), `hash:<sha256>` → id, `ids`
 * (set), `spend:<id>:<period start>` (dollars), `tpm:<id>:<minute>`,
 * `rpm:<id>` (sorted set), `stats:<id>` (calls and cost so far, for the
 * average), `reserved:<id>` (budget held by calls in flight). Changes are announced on `<prefix>auth:changed`
 * so every instance drops its cached copy within milliseconds.
 */
export class RedisKeyStore implements KeyStore {
  private readonly redis: Redis;
  private readonly subscriber: Redis;
  private readonly p: string;
  private readonly channel: string;
  private readonly listeners: Array<(keyId: string) => void> = [];
  private admissions = 0;

  constructor(private readonly options: RedisKeyStoreOptions) {
    const common = { lazyConnect: true, commandTimeout: options.commandTimeoutMs, maxRetriesPerRequest: 1 };
    this.redis = new Redis(options.url, common);
    this.subscriber = new Redis(options.url, { lazyConnect: true });
    this.p = `${options.keyPrefix}auth:`;
    this.channel = `${this.p}changed`;
    this.redis.defineCommand("authAdmit", { numberOfKeys: 5, lua: ADMIT });
    this.redis.defineCommand("authAddUsage", { numberOfKeys: 4, lua: ADD_USAGE });
    for (const client of [this.redis, this.subscriber]) {
      client.on("error", (err: Error) => options.logger.warn({ err: err.message }, "auth store: redis error"));
    }
  }

  async start(): Promise<void> {
    // ioredis keeps retrying a refused connection; auth cannot run without its store, so give up and say so.
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no connection within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
    });
    try {
      await Promise.race([Promise.all([this.redis.connect(), this.subscriber.connect()]), timeout]);
    } catch (err) {
      this.redis.disconnect();
      this.subscriber.disconnect();
      throw new Error(`auth store: cannot reach Redis (${(err as Error).message})`);
    } finally {
      clearTimeout(timer);
    }
    this.subscriber.on("message", (_channel: string, keyId: string) => this.emit(keyId));
    // Messages published while disconnected are lost: on reconnect, drop every cached key.
    this.subscriber.on("ready", () => this.emit("*"));
    await this.subscriber.subscribe(this.channel);
  }

  async close(): Promise<void> {
    this.subscriber.disconnect();
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  onChange(listener: (keyId: string) => void): void {
    this.listeners.push(listener);
  }

  private emit(keyId: string): void {
    for (const l of this.listeners) l(keyId);
  }

  async insert(record: KeyRecord, hash: string): Promise<void> {
    await this.redis
      .multi()
      .set(`${this.p}key:${record.id}`, JSON.stringify({ ...record, hash }))
      .set(`${this.p}hash:${hash}`, record.id)
      .sadd(`${this.p}ids`, record.id)
      .exec();
  }

  async findByHash(hash: string): Promise<KeyRecord | undefined> {
    const id = await this.redis.get(`${this.p}hash:${hash}`);
    return id ? this.get(id) : undefined;
  }

  async get(id: string): Promise<KeyRecord | undefined> {
    const raw = await this.redis.get(`${this.p}key:${id}`);
    if (!raw) return undefined;
    const { hash: _hash, ...record } = JSON.parse(raw) as KeyRecord & { hash: string };
    return record;
  }

  async list(): Promise<KeyRecord[]> {
    const ids = await this.redis.smembers(`${this.p}ids`);
    const records = await Promise.all(ids.map((id) => this.get(id)));
    return records.filter((r): r is KeyRecord => r !== undefined).sort((a, b) => a.createdAtMs - b.createdAtMs);
  }

  async put(record: KeyRecord): Promise<void> {
    const raw = await this.redis.get(`${this.p}key:${record.id}`);
    if (!raw) throw new Error(`key ${record.id} not found`);
    const { hash } = JSON.parse(raw) as { hash: string };
    await this.redis.set(`${this.p}key:${record.id}`, JSON.stringify({ ...record, hash }));
    await this.redis.publish(this.channel, record.id);
  }

  async rehash(record: KeyRecord, newHash: string): Promise<void> {
    const raw = await this.redis.get(`${this.p}key:${record.id}`);
    if (!raw) throw new Error(`key ${record.id} not found`);
    const { hash: oldHash } = JSON.parse(raw) as { hash: string };
    await this.redis
      .multi()
      .del(`${this.p}hash:${oldHash}`)
      .set(`${this.p}hash:${newHash}`, record.id)
      .set(`${this.p}key:${record.id}`, JSON.stringify({ ...record, hash: newHash }))
      .exec();
    await this.redis.publish(this.channel, record.id);
  }

  async admit(record: KeyRecord, nowMs: number): Promise<Admission> {
    const member = `${nowMs}:${process.pid}:${++this.admissions}:${Math.random()}`;
    const [verdict, retryAfterMs, spent] = (await (this.redis as unknown as AuthCommands).authAdmit(
      `${this.p}rpm:${record.id}`,
      `${this.p}tpm:${record.id}:${Math.floor(nowMs / MINUTE_MS)}`,
      this.spendKey(record, nowMs),
      `${this.p}stats:${record.id}`,
      `${this.p}reserved:${record.id}`,
      nowMs,
      record.rpm,
      record.tpm,
      record.maxBudgetUsd,
      member,
      RESERVATION_TTL_MS,
    )) as [number, number, string];
    if (verdict === 0) return { ok: true };
    if (verdict === 5) return { ok: true, reservation: member };
    if (verdict === 3 || verdict === 4) {
      return { ok: false, limit: "budget", spendUsd: Number(spent), periodStartMs: periodStartMs(record, nowMs), committed: verdict === 4 };
    }
    return { ok: false, limit: verdict === 1 ? "rpm" : "tpm", retryAfterMs: Math.max(0, retryAfterMs) };
  }

  async addUsage(record: KeyRecord, costUsd: number, tokens: number, nowMs: number, reservation?: string): Promise<void> {
    // A finished period's spend is only history: keep it one extra period for GetKey near the boundary.
    const ttl = record.budgetPeriodMs > 0 ? 2 * record.budgetPeriodMs : 0;
    await (this.redis as unknown as AuthCommands).authAddUsage(
      this.spendKey(record, nowMs),
      `${this.p}tpm:${record.id}:${Math.floor(nowMs / MINUTE_MS)}`,
      `${this.p}stats:${record.id}`,
      `${this.p}reserved:${record.id}`,
      costUsd > 0 ? costUsd.toString() : "0",
      record.tpm > 0 ? tokens : 0,
      ttl,
      reservation ?? "",
    );
  }

  async spend(record: KeyRecord, nowMs: number): Promise<number> {
    return Number((await this.redis.get(this.spendKey(record, nowMs))) ?? 0);
  }

  private spendKey(record: KeyRecord, nowMs: number): string {
    return `${this.p}spend:${record.id}:${periodStartMs(record, nowMs)}`;
  }
}

interface AuthCommands {
  authAdmit(...args: Array<string | number>): Promise<unknown>;
  authAddUsage(...args: Array<string | number>): Promise<unknown>;
}

import { open, readFile, rename } from "node:fs/promises";
import { MINUTE_MS, periodStartMs, type KeyRecord } from "./key-record.js";
import type { Admission, KeyStore } from "./key-store.js";

interface FileState {
  version: 1;
  keys: Record<string, { record: KeyRecord; hash: string }>;
  /** "<id>:<period start>" → dollars spent in that period. */
  spend: Record<string, number>;
  /** Paid calls and their total cost per key, for the average a call reserves. */
  stats?: Record<string, { calls: number; costUsd: number }>;
}

/**
 * The embedded store, for a single gateway without Redis: keys and spend in
 * one JSON file, rewritten with write-to-temp + fsync + rename so a crash
 * leaves either the old or the new file, never a torn one. Chosen over
 * SQLite because node:sqlite does not exist on Node 20 and native modules
 * (better-sqlite3) tie the build to one Node ABI; the data is small (one
 * record per key) and one process owns it.
 *
 * Key changes are written before the RPC returns. Spend is applied in memory
 * at once (the event loop makes check-and-add atomic within the process)
 * and written behind, one write at a time; a crash loses at most the spend
 * of the calls finished during the last write. rpm/tpm windows are memory
 * only: they describe the current minute, which a restart ends anyway.
 */
export class FileKeyStore implements KeyStore {
  private state: FileState = { version: 1, keys: {}, spend: {} };
  private readonly byHash = new Map<string, string>();
  private readonly admitted = new Map<string, number[]>();
  private readonly tokens = new Map<string, { minute: number; used: number }>();
  /** Key id → reservation → dollars held by a call in flight (memory only: a restart ends those calls). */
  private readonly reserved = new Map<string, Map<string, number>>();
  private reservations = 0;
  private readonly listeners: Array<(keyId: string) => void> = [];
  private writing: Promise<void> = Promise.resolve();
  private dirty = false;

  constructor(private readonly file: string) {}

  async start(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.file, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
      throw err;
    }
    this.state = JSON.parse(text) as FileState;
    for (const [id, { hash }] of Object.entries(this.state.keys)) this.byHash.set(hash, id);
  }

  async close(): Promise<void> {
    await this.flush();
  }

  onChange(listener: (keyId: string) => void): void {
    this.listeners.push(listener);
  }

  async insert(record: KeyRecord, hash: string): Promise<void> {
    this.state.keys[record.id] = { record: structuredClone(record), hash };
    this.byHash.set(hash, record.id);
    await this.flush();
  }

  async findByHash(hash: string): Promise<KeyRecord | undefined> {
    const id = this.byHash.get(hash);
    return id === undefined ? undefined : this.get(id);
  }

  async get(id: string): Promise<KeyRecord | undefined> {
    const entry = this.state.keys[id];
    return entry ? structuredClone(entry.record) : undefined;
  }

  async list(): Promise<KeyRecord[]> {
    return Object.values(this.state.keys)
      .map((e) => structuredClone(e.record))
      .sort((a, b) => a.createdAtMs - b.createdAtMs);
  }

  async put(record: KeyRecord): Promise<void> {
    const entry = this.entry(record.id);
    entry.record = structuredClone(record);
    await this.flush();
    this.emit(record.id);
  }

  async rehash(record: KeyRecord, newHash: string): Promise<void> {
    const entry = this.entry(record.id);
    this.byHash.delete(entry.hash);
    entry.hash = newHash;
    entry.record = structuredClone(record);
    this.byHash.set(newHash, record.id);
    await this.flush();
    this.emit(record.id);
  }

  async admit(record: KeyRecord, nowMs: number): Promise<Admission> {
    let estimate = 0;
    if (record.maxBudgetUsd > 0) {
      const spent = this.state.spend[spendKey(record, nowMs)] ?? 0;
      if (spent >= record.maxBudgetUsd) return { ok: false, limit: "budget", spendUsd: spent, periodStartMs: periodStartMs(record, nowMs) };
      const stats = this.state.stats?.[record.id];
      estimate = stats && stats.calls > 0 ? stats.costUsd / stats.calls : 0;
      let reserved = 0;
      for (const amount of this.reserved.get(record.id)?.values() ?? []) reserved += amount;
      if (estimate > 0 && spent + reserved >= record.maxBudgetUsd) {
        return { ok: false, limit: "budget", spendUsd: spent, periodStartMs: periodStartMs(record, nowMs), committed: true };
      }
    }
    if (record.tpm > 0) {
      const t = this.tokens.get(record.id);
      if (t && t.minute === Math.floor(nowMs / MINUTE_MS) && t.used >= record.tpm) {
        return { ok: false, limit: "tpm", retryAfterMs: MINUTE_MS - (nowMs % MINUTE_MS) };
      }
    }
    if (record.rpm > 0) {
      const times = (this.admitted.get(record.id) ?? []).filter((t) => t > nowMs - MINUTE_MS);
      this.admitted.set(record.id, times);
      if (times.length >= record.rpm) return { ok: false, limit: "rpm", retryAfterMs: times[0]! + MINUTE_MS - nowMs };
      times.push(nowMs);
    }
    if (estimate > 0) {
      const reservation = String(++this.reservations);
      const held = this.reserved.get(record.id) ?? new Map<string, number>();
      held.set(reservation, estimate);
      this.reserved.set(record.id, held);
      return { ok: true, reservation };
    }
    return { ok: true };
  }

  async addUsage(record: KeyRecord, costUsd: number, tokens: number, nowMs: number, reservation?: string): Promise<void> {
    if (reservation !== undefined) this.reserved.get(record.id)?.delete(reservation);
    if (tokens > 0 && record.tpm > 0) {
      const minute = Math.floor(nowMs / MINUTE_MS);
      const t = this.tokens.get(record.id);
      this.tokens.set(record.id, { minute, used: (t?.minute === minute ? t.used : 0) + tokens });
    }
    if (costUsd > 0) {
      const key = spendKey(record, nowMs);
      // Earlier periods of this key are history nobody reads: drop them.
      for (const k of Object.keys(this.state.spend)) if (k.startsWith(`${record.id}:`) && k !== key) delete this.state.spend[k];
      this.state.spend[key] = (this.state.spend[key] ?? 0) + costUsd;
      const stats = (this.state.stats ??= {})[record.id] ?? { calls: 0, costUsd: 0 };
      this.state.stats[record.id] = { calls: stats.calls + 1, costUsd: stats.costUsd + costUsd };
      // Counted in memory now (the next admit sees it); on disk shortly. A failed write stays dirty and is retried by the next one.
      this.flush().catch(() => undefined);
    }
  }

  async spend(record: KeyRecord, nowMs: number): Promise<number> {
    return this.state.spend[spendKey(record, nowMs)] ?? 0;
  }

  private entry(id: string): { record: KeyRecord; hash: string } {
    const entry = this.state.keys[id];
    if (!entry) throw new Error(`key ${id} not found`);
    return entry;
  }

  private emit(keyId: string): void {
    for (const l of this.listeners) l(keyId);
  }

  /** Resolves once the state as of this call is on disk; concurrent callers share writes. */
  private flush(): Promise<void> {
    this.dirty = true;
    const write = async () => {
      if (!this.dirty) return;
      this.dirty = false;
      try {
        await this.write(JSON.stringify(this.state));
      } catch (err) {
        this.dirty = true;
        throw err;
      }
    };
    // A failed write must not wedge later ones: each waits for the previous, success or not.
    this.writing = this.writing.then(write, write);
    return this.writing;
  }

  private async write(text: string): Promise<void> {
    const tmp = `${this.file}.${process.pid}.tmp`;
    const handle = await open(tmp, "w", 0o600);
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, this.file);
  }
}

function spendKey(record: KeyRecord, nowMs: number): string {
  return `${record.id}:${periodStartMs(record, nowMs)}`;
}

import { Code, ConnectError } from "@connectrpc/connect";
import { AdminService } from "../../gen/ts/switchyard/v1/admin_pb.js";
import type { Logger } from "../observability/logger.js";
import type { Clock } from "../util/clock.js";
import { authErrors } from "./auth-errors.js";
import { credentialOf, hashSecret, sameSecret } from "./keys.js";
import { hasLimits, periodStartMs, type KeyRecord } from "./key-record.js";
import type { KeyStore } from "./key-store.js";

/** Who is calling, as logs (and later metrics and traces) may show it: never the secret. */
export interface AuthIdentity {
  /** "master" for the master key, else the virtual key's id. */
  readonly keyId: string;
  readonly alias: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly isMaster: boolean;
  /** Model groups the caller may use; empty = all. */
  readonly models: readonly string[];
  /** The highest options.priority the caller's requests are queued at (a virtual key's max_priority); Infinity for the master key. */
  readonly maxPriority: number;
}

/**
 * An admitted call: report what it cost when it ends (once). The promise
 * resolves when the spend is recorded (it never rejects; failures are
 * logged), so a caller that waits for it before answering guarantees that a
 * client who has seen the answer that spent the budget will be refused next.
 */
export interface Grant {
  readonly identity?: AuthIdentity;
  settle(usage: { costUsd: number; tokens: number }): Promise<void>;
}

export interface AuthenticatorOptions {
  masterKey: string;
  store: KeyStore;
  clock: Clock;
  logger: Logger;
  /** How long a verified key is trusted from memory; changes arrive sooner through the store's change feed. */
  cacheTtlMs: number;
}

const MASTER: AuthIdentity = Object.freeze({ keyId: "master", alias: "master", metadata: {}, isMaster: true, models: [], maxPriority: Infinity });
const NOTHING_TO_SETTLE: Grant = { settle: () => Promise.resolve() };

/**
 * Decides whether a call may proceed: the one auth path every surface
 * (Connect, gRPC, gRPC-Web, and plain HTTP translators) goes through.
 *
 * The hot path for a cached key without limits is a SHA-256 and a map
 * lookup; keys with rpm/tpm/budget add one round trip to the store, whose
 * script checks and counts atomically across instances.
 */
export class Authenticator {
  private readonly cache = new Map<string, { record: KeyRecord; until: number }>();

  constructor(private readonly options: AuthenticatorOptions) {
    options.store.onChange((keyId) => this.forget(keyId));
  }

  get store(): KeyStore {
    return this.options.store;
  }

  /**
   * Checks the caller's credentials for `procedure` ("switchyard.v1.InferenceService/Complete")
   * on `modelGroup` (when the call names one). Throws a ConnectError
   * (UNAUTHENTICATED, PERMISSION_DENIED, RESOURCE_EXHAUSTED) or returns the grant.
   */
  async authenticate(headers: Headers, procedure: string, modelGroup?: string): Promise<Grant> {
    try {
      return await this.check(headers, procedure, modelGroup);
    } catch (err) {
      if (err instanceof ConnectError) throw err;
      // The store is down or slow: refuse (fail closed) with a status clients retry, without internals.
      this.options.logger.error({ procedure, err: (err as Error).message }, "auth store unavailable");
      throw new ConnectError("the key store is unavailable; try again", Code.Unavailable);
    }
  }

  private async check(headers: Headers, procedure: string, modelGroup?: string): Promise<Grant> {
    const secret = credentialOf(headers);
    if (!secret) throw authErrors.missing();
    if (sameSecret(secret, this.options.masterKey)) return { identity: MASTER, settle: NOTHING_TO_SETTLE.settle };
    const record = await this.lookup(hashSecret(secret));
    if (!record) throw authErrors.invalid();
    const now = this.options.clock.now();
    if (record.revoked) throw authErrors.revoked(record.id);
    if (record.expiresAtMs !== undefined && now >= record.expiresAtMs) throw authErrors.expired(record.id);
    if (procedure.startsWith(`${AdminService.typeName}/`)) throw authErrors.masterRequired(procedure);
    if (modelGroup !== undefined && record.models.length > 0 && !record.models.includes(modelGroup)) {
      throw authErrors.modelNotAllowed(record.id, modelGroup);
    }
    const identity: AuthIdentity = { keyId: record.id, alias: record.alias, metadata: record.metadata, isMaster: false, models: record.models, maxPriority: record.maxPriority ?? 0 };
    if (!hasLimits(record)) return { identity, settle: NOTHING_TO_SETTLE.settle };

    const admission = await this.options.store.admit(record, now);
    if (!admission.ok) {
      if (admission.limit === "budget") {
        const ends = record.budgetPeriodMs > 0 ? new Date(admission.periodStartMs + record.budgetPeriodMs) : undefined;
        throw authErrors.budgetExceeded(record.id, record.maxBudgetUsd, admission.spendUsd, ends, admission.committed ?? false);
      }
      throw authErrors.rateLimited(record.id, admission.limit, admission.limit === "rpm" ? record.rpm : record.tpm, admission.retryAfterMs);
    }
    let settled = false;
    return {
      identity,
      settle: ({ costUsd, tokens }) => {
        if (settled) return Promise.resolve();
        settled = true;
        if (!(costUsd > 0) && !(tokens > 0 && record.tpm > 0) && admission.reservation === undefined) return Promise.resolve();
        return this.options.store.addUsage(record, costUsd, tokens, this.options.clock.now(), admission.reservation).catch((err: unknown) => {
          this.options.logger.error({ keyId: record.id, costUsd, err: (err as Error).message }, "could not record a key's spend");
        });
      },
    };
  }

  /** Whether the headers carry the master key (admin surfaces). */
  isMaster(headers: Headers): boolean {
    const secret = credentialOf(headers);
    return secret !== undefined && sameSecret(secret, this.options.masterKey);
  }

  now(): number {
    return this.options.clock.now();
  }

  /** Budget period start for a record now, for GetKey. */
  periodStart(record: KeyRecord): number {
    return periodStartMs(record, this.options.clock.now());
  }

  private async lookup(hash: string): Promise<KeyRecord | undefined> {
    const now = this.options.clock.now();
    const cached = this.cache.get(hash);
    if (cached && cached.until > now) return cached.record;
    const record = await this.options.store.findByHash(hash);
    // Only known keys are cached: unknown secrets are unbounded, so caching them would be a memory leak.
    if (record) this.cache.set(hash, { record, until: now + this.options.cacheTtlMs });
    else this.cache.delete(hash);
    return record;
  }

  /** Drops a key's cached verification ("*" = all), after a change on any instance. */
  private forget(keyId: string): void {
    for (const [hash, entry] of this.cache) if (keyId === "*" || entry.record.id === keyId) this.cache.delete(hash);
  }
}

/**
 * Microbench of the auth check's CPU cost per request: `npx tsx bench/auth-check.ts [iterations]`.
 *
 * Times Authenticator.authenticate (what the interceptor runs on every
 * call) for a cached virtual key without limits: credential parsing,
 * SHA-256 of the secret, the cache lookup, expiry and allowlist checks. A
 * key with rpm/tpm/budget adds one store round trip (a Redis Lua script),
 * which is I/O wait, not gateway CPU; set REDIS_URL to time that path too.
 * Target: <= 0.02 ms CPU per request.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Authenticator } from "../src/auth/authenticator.js";
import { FileKeyStore } from "../src/auth/file-key-store.js";
import { RedisKeyStore } from "../src/auth/redis-key-store.js";
import type { KeyStore } from "../src/auth/key-store.js";
import { generateKeyId, generateSecret, hashSecret, previewOf } from "../src/auth/keys.js";
import type { KeyRecord } from "../src/auth/key-record.js";
import { silentLogger } from "../src/observability/logger.js";
import { systemClock } from "../src/util/clock.js";

const iterations = Number(process.argv[2] ?? 200_000);
const PROCEDURE = "switchyard.v1.InferenceService/Complete";

async function measure(name: string, store: KeyStore, record: Omit<KeyRecord, "id" | "preview">, n: number): Promise<number> {
  await store.start();
  const secret = generateSecret();
  await store.insert({ ...record, id: generateKeyId(), preview: previewOf(secret) }, hashSecret(secret));
  const auth = new Authenticator({ masterKey: "bench-master-key-0123456789", store, clock: systemClock, logger: silentLogger, cacheTtlMs: 60_000 });
  const headers = new Headers({ authorization: `Bearer ${secret}`, "content-type": "application/grpc" });
  for (let i = 0; i < Math.min(n, 10_000); i++) await auth.authenticate(headers, PROCEDURE, "chat"); // warm up JIT and cache
  const cpu = process.cpuUsage();
  const wall = performance.now();
  for (let i = 0; i < n; i++) await auth.authenticate(headers, PROCEDURE, "chat");
  const used = process.cpuUsage(cpu);
  const wallMs = performance.now() - wall;
  const cpuMsPerCall = (used.user + used.system) / 1000 / n;
  console.log(`${name}: ${(cpuMsPerCall * 1000).toFixed(2)} µs CPU per check (${n} checks, ${((wallMs / n) * 1000).toFixed(2)} µs wall each)`);
  await store.close();
  return cpuMsPerCall;
}

const base = {
  alias: "bench",
  models: ["chat", "embed"],
  rpm: 0,
  tpm: 0,
  maxBudgetUsd: 0,
  budgetPeriod: "",
  budgetPeriodMs: 0,
  metadata: { team: "bench" },
  createdAtMs: Date.now(),
  revoked: false,
};

const fileStore = new FileKeyStore(join(mkdtempSync(join(tmpdir(), "sy-auth-bench-")), "keys.json"));
const cpuMs = await measure("cached key, no limits", fileStore, base, iterations);
if (process.env.REDIS_URL) {
  const redis = new RedisKeyStore({ url: process.env.REDIS_URL, keyPrefix: `bench-${Date.now()}:`, commandTimeoutMs: 1_000, logger: silentLogger });
  await measure("key with rpm and budget (Redis round trip)", redis, { ...base, rpm: 1e9, maxBudgetUsd: 1e9 }, Math.min(iterations, 20_000));
}
const target = 0.02;
console.log(`auth check: ${cpuMs.toFixed(5)} ms CPU per request (target <= ${target} ms): ${cpuMs <= target ? "OK" : "OVER TARGET"}`);
process.exitCode = cpuMs <= target ? 0 : 1;

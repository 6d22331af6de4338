import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** Every virtual key starts with this, so a leaked one is recognisable (secret scanners, log greps). */
export const KEY_PREFIX = "sk-sy-";
/** 32 random bytes = 256 bits: guessing is hopeless, so a fast hash is enough to store them (no KDF needed). */
const SECRET_BYTES = 32;

/** A new secret: the prefix and 32 random bytes, base64url. */
export function generateSecret(): string {
  return KEY_PREFIX + randomBytes(SECRET_BYTES).toString("base64url");
}

/** A new key id: public, shown in logs and admin RPCs; unrelated to the secret. */
export function generateKeyId(): string {
  return `key_${randomBytes(8).toString("hex")}`;
}

/** What the stores hold instead of the secret. */
export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

/** The first characters, enough to tell keys apart in ListKeys, far too few to guess the rest. */
export function previewOf(secret: string): string {
  return `${secret.slice(0, KEY_PREFIX.length + 4)}…`;
}

/** Constant-time comparison, for the master key. */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const PERIOD = /^(\d+)(s|m|h|d)$/;
const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** "30d" → ms; "" → 0 (never resets); undefined when malformed. */
export function parseBudgetPeriod(text: string): number | undefined {
  if (text === "") return 0;
  const m = PERIOD.exec(text);
  if (!m || Number(m[1]) === 0) return undefined;
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}

/** Extracts the caller's secret: `authorization: Bearer <key>` or `x-api-key: <key>`. */
export function credentialOf(headers: Headers): string | undefined {
  const authorization = headers.get("authorization");
  if (authorization) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    return m ? m[1] : undefined;
  }
  return headers.get("x-api-key")?.trim() || undefined;
}

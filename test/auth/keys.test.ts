import { describe, expect, it } from "vitest";
import { credentialOf, generateSecret, hashSecret, KEY_PREFIX, parseBudgetPeriod, previewOf } from "../../src/auth/keys.js";
import { periodStartMs, type KeyRecord } from "../../src/auth/key-record.js";

describe("virtual key secrets", () => {
  it("carry the sk-sy- prefix and 32 random bytes, and are never repeated", () => {
    const secrets = new Set(Array.from({ length: 1000 }, generateSecret));
    expect(secrets.size).toBe(1000);
    for (const s of secrets) {
      expect(s.startsWith(KEY_PREFIX)).toBe(true);
      expect(Buffer.from(s.slice(KEY_PREFIX.length), "base64url")).toHaveLength(32);
    }
  });

  it("are stored as a SHA-256 hash and previewed by their first 4 characters only", () => {
    const secret = generateSecret();
    expect(hashSecret(secret)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashSecret(secret)).not.toContain(secret.slice(KEY_PREFIX.length, KEY_PREFIX.length + 8));
    expect(previewOf(secret)).toBe(`${secret.slice(0, 10)}…`);
  });

  it("are read from `authorization: Bearer` or `x-api-key`", () => {
    expect(credentialOf(new Headers({ authorization: "Bearer sk-sy-abc" }))).toBe("sk-sy-abc");
    expect(credentialOf(new Headers({ authorization: "bearer  sk-sy-abc " }))).toBe("sk-sy-abc");
    expect(credentialOf(new Headers({ "x-api-key": "sk-sy-abc" }))).toBe("sk-sy-abc");
    expect(credentialOf(new Headers({ authorization: "Basic dXNlcjpwYXNz" }))).toBeUndefined();
    expect(credentialOf(new Headers())).toBeUndefined();
  });
});

describe("budget periods", () => {
  it("parse s/m/h/d durations, empty for never, and refuse anything else", () => {
    expect(parseBudgetPeriod("30d")).toBe(30 * 86_400_000);
    expect(parseBudgetPeriod("12h")).toBe(12 * 3_600_000);
    expect(parseBudgetPeriod("15m")).toBe(15 * 60_000);
    expect(parseBudgetPeriod("")).toBe(0);
    for (const bad of ["0d", "1w", "d", "-1d", "1.5d"]) expect(parseBudgetPeriod(bad)).toBeUndefined();
  });

  it("start at the key's creation and roll over every period, so every instance agrees without coordination", () => {
    const record = { createdAtMs: 1_000, budgetPeriodMs: 100 } as KeyRecord;
    expect(periodStartMs(record, 1_000)).toBe(1_000);
    expect(periodStartMs(record, 1_099)).toBe(1_000);
    expect(periodStartMs(record, 1_100)).toBe(1_100);
    expect(periodStartMs(record, 1_350)).toBe(1_300);
    expect(periodStartMs({ createdAtMs: 1_000, budgetPeriodMs: 0 } as KeyRecord, 99_999)).toBe(1_000);
  });
});

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FileKeyStore } from "../../src/auth/file-key-store.js";
import type { KeyRecord } from "../../src/auth/key-record.js";

const record: KeyRecord = {
  id: "key_1",
  alias: "a",
  models: [],
  rpm: 0,
  tpm: 0,
  maxBudgetUsd: 1,
  budgetPeriod: "",
  budgetPeriodMs: 0,
  metadata: {},
  createdAtMs: 0,
  revoked: false,
  preview: "sk-sy-abcd…",
};

describe("FileKeyStore budgets", () => {
  it("reserves the key's average call cost for calls in flight and releases it when they settle", async () => {
    const store = new FileKeyStore(join(mkdtempSync(join(tmpdir(), "sy-fks-")), "keys.json"));
    await store.start();
    await store.insert(record, "hash");
    // No price history yet: nothing to reserve.
    const first = await store.admit(record, 1);
    expect(first).toEqual({ ok: true });
    await store.addUsage(record, 0.3, 0, 2);

    const held = [await store.admit(record, 3), await store.admit(record, 3)]; // 0.3 spent + 0.3 + 0.3 reserved
    expect(held.every((a) => a.ok && a.reservation !== undefined)).toBe(true);
    const third = await store.admit(record, 3); // 0.9 < 1: still room
    expect(third.ok).toBe(true);
    expect(await store.admit(record, 3)).toMatchObject({ ok: false, limit: "budget", committed: true, spendUsd: 0.3 });

    // A failed call releases its share without spending.
    await store.addUsage(record, 0, 0, 4, (held[0] as { reservation: string }).reservation);
    expect((await store.admit(record, 4)).ok).toBe(true);
    await store.close();
  });
});

import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { ErrorInfoSchema, QuotaFailureSchema, RetryInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import type { Gateway } from "../../src/server/gateway.js";
import { bearer, CALL_TYPES, clients, MASTER_KEY, PROTOCOLS, authConfig, refusal, startLoggedGateway } from "./support.js";

const stores: Record<string, () => Record<string, unknown>> = {
  "Redis store": () => ({ redis: { url: inject("redisUrl"), key_prefix: `auth-${randomUUID()}:` } }),
  "embedded file store": () => ({ auth_settings: { store_file: join(mkdtempSync(join(tmpdir(), "sy-auth-")), "keys.json") } }),
};

describe.each(Object.entries(stores))("with the %s", (_name, storeConfig) => {
  let gateway: Gateway;
  let lines: string[];
  const keys: Record<string, string> = {};

  beforeAll(async () => {
    ({ gateway, lines } = await startLoggedGateway(authConfig(storeConfig())));
    const { admin, inference } = clients(PROTOCOLS.gRPC!(gateway.url));
    const master = bearer(MASTER_KEY);
    const make = async (name: string, request: Parameters<typeof admin.createKey>[0]) => {
      const created = await admin.createKey({ alias: name, ...request }, master);
      keys[name] = created.key;
      return created;
    };
    await make("good", { metadata: { team: "search" } });
    await make("otherOnly", { models: ["other"] });
    const revoked = await make("revoked", {});
    await admin.revokeKey({ keyId: revoked.keyId }, master);
    await make("expired", { expiresAt: timestampFromMs(Date.now() - 1_000) });
    await make("rpm", { rpm: 1 });
    await make("tpm", { tpm: 1 });
    await make("budget", { maxBudgetUsd: 0.000_001, budgetPeriod: "30d" });
    // One call each uses up the rpm, tpm and budget keys.
    for (const name of ["rpm", "tpm", "budget"]) await inference.complete({ model: "chat", messages: [{ role: "user", content: "hi" }] }, bearer(keys[name]));
  });
  afterAll(() => gateway.close(0));

  describe.each(Object.entries(PROTOCOLS))("over %s", (_protocol, transport) => {
    const each = async (check: (call: (model: string, key: string | undefined) => Promise<unknown>, callType: string) => Promise<void>) => {
      const { inference } = clients(transport(gateway.url));
      for (const [callType, call] of Object.entries(CALL_TYPES)) await check((model, key) => call(inference, model, key), callType);
    };

    it("serves every call type to a valid key, by bearer token or x-api-key", async () => {
      await each(async (call) => {
        await call("chat", keys.good);
      });
      const { inference } = clients(transport(gateway.url));
      const answer = await inference.complete({ model: "chat", messages: [{ role: "user", content: "hi" }] }, { headers: { "x-api-key": keys.good! } });
      expect(answer.choices).toHaveLength(1);
    });

    it("refuses a missing, unknown, revoked or expired key with UNAUTHENTICATED on every call type", async () => {
      await each(async (call) => {
        const reasons = [];
        for (const key of [undefined, `sk-sy-${"x".repeat(43)}`, keys.revoked, keys.expired]) {
          const err = await refusal(call("chat", key), Code.Unauthenticated);
          reasons.push(err.findDetails(ErrorInfoSchema)[0]?.reason);
        }
        expect(reasons).toEqual(["MISSING_CREDENTIALS", "INVALID_KEY", "KEY_REVOKED", "KEY_EXPIRED"]);
      });
    });

    it("refuses a model group outside the key's allowlist with PERMISSION_DENIED, and allows the listed one", async () => {
      await each(async (call) => {
        await refusal(call("chat", keys.otherOnly), Code.PermissionDenied);
        await call("other", keys.otherOnly);
      });
      const { inference } = clients(transport(gateway.url));
      const listed = await inference.listModels({}, bearer(keys.otherOnly));
      expect(listed.models.map((m) => m.name)).toEqual(["other"]);
    });

    it("refuses a key over its rpm or tpm with RESOURCE_EXHAUSTED and RetryInfo", async () => {
      await each(async (call) => {
        for (const key of [keys.rpm, keys.tpm]) {
          const err = await refusal(call("chat", key), Code.ResourceExhausted);
          const retry = err.findDetails(RetryInfoSchema)[0];
          expect(retry?.retryDelay).toBeDefined();
          const delayMs = Number(retry!.retryDelay!.seconds) * 1000 + retry!.retryDelay!.nanos / 1e6;
          expect(delayMs).toBeGreaterThan(0);
          expect(delayMs).toBeLessThanOrEqual(60_000);
        }
      });
    });

    it("refuses a key that spent its budget with RESOURCE_EXHAUSTED and QuotaFailure", async () => {
      await each(async (call) => {
        const err = await refusal(call("chat", keys.budget), Code.ResourceExhausted);
        expect(err.findDetails(QuotaFailureSchema)[0]?.violations[0]?.subject).toMatch(/^key:key_/);
        expect(err.findDetails(RetryInfoSchema)).toHaveLength(0);
      });
    });

    it("refuses every admin RPC without the master key: UNAUTHENTICATED with none, PERMISSION_DENIED with a virtual key", async () => {
      const { admin } = clients(transport(gateway.url));
      const rpcs: Array<[string, (key: string | undefined) => Promise<unknown>]> = [
        ["GetRouterState", (k) => admin.getRouterState({}, bearer(k))],
        ["InvalidateCache", (k) => admin.invalidateCache({ target: { case: "namespace", value: "x" } }, bearer(k))],
        ["GetCacheStats", (k) => admin.getCacheStats({}, bearer(k))],
        ["CreateKey", (k) => admin.createKey({ alias: "sneaky" }, bearer(k))],
        ["ListKeys", (k) => admin.listKeys({}, bearer(k))],
        ["GetKey", (k) => admin.getKey({ keyId: "key_x" }, bearer(k))],
        ["UpdateKey", (k) => admin.updateKey({ keyId: "key_x" }, bearer(k))],
        ["RevokeKey", (k) => admin.revokeKey({ keyId: "key_x" }, bearer(k))],
        ["RotateKey", (k) => admin.rotateKey({ keyId: "key_x" }, bearer(k))],
      ];
      for (const [, rpc] of rpcs) {
        await refusal(rpc(undefined), Code.Unauthenticated);
        await refusal(rpc("not-a-key"), Code.Unauthenticated);
        const err = await refusal(rpc(keys.good), Code.PermissionDenied);
        expect(err.findDetails(ErrorInfoSchema)[0]?.reason).toBe("MASTER_KEY_REQUIRED");
      }
      expect((await admin.getRouterState({}, bearer(MASTER_KEY))).deployments).toHaveLength(2);
    });
  });

  it("lists keys without secrets and reports spend; a rotated key's old secret stops working", async () => {
    const { admin, inference } = clients(PROTOCOLS.Connect!(gateway.url));
    const master = bearer(MASTER_KEY);
    const listed = await admin.listKeys({}, master);
    expect(listed.keys.map((k) => k.alias)).toEqual(expect.arrayContaining(["good", "otherOnly", "budget"]));
    const json = JSON.stringify(listed, (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v));
    for (const secret of Object.values(keys)) expect(json).not.toContain(secret);

    const budget = listed.keys.find((k) => k.alias === "budget")!;
    expect(budget.spendUsd).toBeGreaterThan(budget.maxBudgetUsd);
    expect(budget.budgetPeriod).toBe("30d");

    const good = listed.keys.find((k) => k.alias === "good")!;
    const rotated = await admin.rotateKey({ keyId: good.keyId }, master);
    expect(rotated.key).toMatch(/^sk-sy-[A-Za-z0-9_-]{43}$/);
    await refusal(inference.complete({ model: "chat", messages: [{ role: "user", content: "hi" }] }, bearer(keys.good)), Code.Unauthenticated);
    await inference.complete({ model: "chat", messages: [{ role: "user", content: "hi" }] }, bearer(rotated.key));
    keys.rotated = rotated.key;

    const updated = await admin.updateKey({ keyId: good.keyId, updateModels: true, models: ["other"] }, master);
    expect(updated.models).toEqual(["other"]);
    await refusal(inference.complete({ model: "chat", messages: [{ role: "user", content: "hi" }] }, bearer(rotated.key)), Code.PermissionDenied);
  });

  it("never writes a secret (master or virtual key) to its logs, and does log the caller's key id", async () => {
    const log = lines.join("");
    expect(log.length).toBeGreaterThan(0);
    expect(log).not.toContain(MASTER_KEY);
    for (const secret of Object.values(keys)) expect(log).not.toContain(secret);
    expect(log).not.toMatch(/sk-sy-[A-Za-z0-9_-]{20}/);
    expect(log).toMatch(/"keyId":"key_[0-9a-f]{16}"/);
  });
});

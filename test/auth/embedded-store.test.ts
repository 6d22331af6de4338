import { Code } from "@connectrpc/connect";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { authConfig, bearer, clients, MASTER_KEY, refusal, startLoggedInMemoryGateway } from "./support.js";

describe("the embedded key store (no redis configured)", () => {
  it("keeps keys, revocations and spend across a restart, and stores only hashes", async () => {
    const storeFile = join(mkdtempSync(join(tmpdir(), "sy-keys-")), "keys.json");
    const config = authConfig({ auth_settings: { store_file: storeFile } });
    const ask = { model: "chat", messages: [{ role: "user", content: "hi" }] };

    const first = await startLoggedInMemoryGateway(config);
    let { admin, inference } = clients(first.gateway.transport);
    const kept = await admin.createKey({ alias: "kept", maxBudgetUsd: 1000, budgetPeriod: "30d" }, bearer(MASTER_KEY));
    const gone = await admin.createKey({ alias: "gone" }, bearer(MASTER_KEY));
    await admin.revokeKey({ keyId: gone.keyId }, bearer(MASTER_KEY));
    let spent = 0;
    for (let i = 0; i < 3; i++) spent += (await inference.complete(ask, bearer(kept.key))).costUsd;
    expect(spent).toBeGreaterThan(0);
    await first.gateway.close();

    const onDisk = readFileSync(storeFile, "utf8");
    expect(onDisk).not.toContain(kept.key);
    expect(onDisk).not.toContain(gone.key);

    const second = await startLoggedInMemoryGateway(config);
    ({ admin, inference } = clients(second.gateway.transport));
    try {
      const info = await admin.getKey({ keyId: kept.keyId }, bearer(MASTER_KEY));
      expect(info.alias).toBe("kept");
      expect(info.spendUsd).toBeCloseTo(spent, 12);
      await inference.complete(ask, bearer(kept.key));
      await refusal(inference.complete(ask, bearer(gone.key)), Code.Unauthenticated);
      expect((await admin.listKeys({}, bearer(MASTER_KEY))).keys.map((k) => k.alias)).toEqual(["kept", "gone"]);
    } finally {
      await second.gateway.close();
    }
  });
});

import { Code } from "@connectrpc/connect";
import { randomUUID } from "node:crypto";
import { describe, expect, inject, it } from "vitest";
import { FakeClock } from "../support/fake-clock.js";
import { authConfig, bearer, clients, MASTER_KEY, refusal, startLoggedInMemoryGateway } from "./support.js";

describe("budget periods", () => {
  it("resets a key's spend when its budget period ends, and refuses the key from its expiry on", async () => {
    const clock = new FakeClock();
    const config = authConfig({ redis: { url: inject("redisUrl"), key_prefix: `auth-period-${randomUUID()}:` } });
    const { gateway } = await startLoggedInMemoryGateway(config, { clock });
    try {
      const { admin, inference } = clients(gateway.transport);
      const ask = { model: "chat", messages: [{ role: "user", content: "hi" }] };
      const key = await admin.createKey(
        { alias: "hourly", maxBudgetUsd: 0.000_001, budgetPeriod: "1h", expiresAt: { seconds: BigInt((clock.now() + 3 * 3_600_000) / 1000), nanos: 0 } },
        bearer(MASTER_KEY),
      );
      await inference.complete(ask, bearer(key.key));
      await refusal(inference.complete(ask, bearer(key.key)), Code.ResourceExhausted);

      await clock.advance(3_600_000);
      const info = await admin.getKey({ keyId: key.keyId }, bearer(MASTER_KEY));
      expect(info.spendUsd).toBe(0);
      expect(Number(info.periodStart!.seconds) * 1000).toBe(clock.now());
      await inference.complete(ask, bearer(key.key));
      await refusal(inference.complete(ask, bearer(key.key)), Code.ResourceExhausted);

      await clock.advance(2 * 3_600_000);
      await refusal(inference.complete(ask, bearer(key.key)), Code.Unauthenticated);
    } finally {
      await gateway.close();
    }
  });
});

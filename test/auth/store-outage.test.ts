import { Code } from "@connectrpc/connect";
import { afterAll, describe, expect, it } from "vitest";
import { freePort, startRedisServer, type RedisServer } from "../support/redis-server.js";
import { authConfig, bearer, clients, MASTER_KEY, refusal, startLoggedInMemoryGateway } from "./support.js";

let redis: RedisServer | undefined;
afterAll(() => redis?.stop());

describe("when the shared key store is down", () => {
  it("refuses virtual keys with UNAVAILABLE (fails closed) without leaking internals, and the master key still works", async () => {
    redis = await startRedisServer();
    const { gateway, lines } = await startLoggedInMemoryGateway(authConfig({ redis: { url: redis.url, command_timeout_ms: 300 } }));
    try {
      const { admin, inference } = clients(gateway.transport);
      const ask = { model: "chat", messages: [{ role: "user", content: "hi" }] };
      const key = await admin.createKey({ alias: "limited", rpm: 100 }, bearer(MASTER_KEY));
      await inference.complete(ask, bearer(key.key));

      await redis.stop();
      const err = await refusal(inference.complete(ask, bearer(key.key)), Code.Unavailable);
      expect(err.rawMessage).toBe("the key store is unavailable; try again");
      await refusal(inference.complete(ask, bearer("sk-sy-unknown-key-while-redis-is-down")), Code.Unavailable);
      expect((await inference.complete(ask, bearer(MASTER_KEY))).choices).toHaveLength(1);
      expect(lines.join("")).toContain("auth store unavailable");
    } finally {
      await gateway.close();
    }
  });
});

describe("when the shared key store is unreachable at start", () => {
  it("refuses to start rather than serve without auth", async () => {
    const port = await freePort();
    await expect(startLoggedInMemoryGateway(authConfig({ redis: { url: `redis://127.0.0.1:${port}` } }))).rejects.toThrow(/auth store: cannot reach Redis/);
  });
});

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { InMemoryGateway } from "../support/in-memory-gateway.js";
import { bearer, clients, MASTER_KEY, startLoggedInMemoryGateway } from "./support.js";

/**
 * A key limited to some model groups must not reach others through the
 * router's fallbacks: "chat" always fails upstream and falls back to
 * "other", which the master key may use and the chat-only key may not.
 */
let gateway: InMemoryGateway;

beforeAll(async () => {
  ({ gateway } = await startLoggedInMemoryGateway(
    JSON.stringify({
      model_list: [
        { model_name: "chat", provider: "mock", params: { model: "mock-1", mock: { failure_rate: 1, failure_kind: "MOCK_FAILURE_RATE_LIMITED" } } },
        { model_name: "other", provider: "mock", params: { model: "mock-2" } },
      ],
      router_settings: { num_retries: 0, fallbacks: [{ model: "chat", to: ["other"] }] },
      auth_settings: { master_key: MASTER_KEY, store_file: join(mkdtempSync(join(tmpdir(), "sy-fallback-auth-")), "keys.json") },
    }),
  ));
});

afterAll(async () => {
  await gateway?.close();
});

it("falls back only into model groups the key allows", async () => {
  const { inference, admin } = clients(gateway.transport);
  const ask = { model: "chat", messages: [{ role: "user", content: "hello" }] };

  const viaMaster = await inference.complete(ask, bearer(MASTER_KEY));
  expect(viaMaster.modelGroup).toBe("other");

  const { key } = await admin.createKey({ alias: "chat-only", models: ["chat"] }, bearer(MASTER_KEY));
  const refused = await inference.complete(ask, bearer(key)).then(
    () => undefined,
    (err: unknown) => ConnectError.from(err),
  );
  // The master key's call cooled "chat" down (one 429 is enough), so with no fallback allowed nothing is left.
  expect(refused?.code).toBe(Code.Unavailable);
  expect(refused?.message).not.toContain("other");
});

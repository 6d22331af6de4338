import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Gateway } from "../../src/server/gateway.js";
import { authConfig, bearer, clients, MASTER_KEY, startLoggedGateway } from "../auth/support.js";

/**
 * The OpenAI- and Anthropic-shaped surfaces go through the same auth
 * interceptor as gRPC callers: the SDKs' own credentials (Bearer for
 * OpenAI, x-api-key for Anthropic) are checked, limits and allowlists
 * apply, and refusals arrive as the SDKs' own exception classes.
 */
let gateway: Gateway;
let lines: string[];
let chatOnlyKey: string;
let budgetKey: string;

beforeAll(async () => {
  ({ gateway, lines } = await startLoggedGateway(
    authConfig({ auth_settings: { store_file: join(mkdtempSync(join(tmpdir(), "sy-compat-auth-")), "keys.json") } }),
  ));
  const { admin } = clients(createConnectTransport({ baseUrl: gateway.url, httpVersion: "1.1" }));
  chatOnlyKey = (await admin.createKey({ alias: "chat-only", models: ["chat"] }, bearer(MASTER_KEY))).key;
  budgetKey = (await admin.createKey({ alias: "tiny-budget", maxBudgetUsd: 0.000_001, budgetPeriod: "30d" }, bearer(MASTER_KEY))).key;
});

afterAll(async () => {
  await gateway?.close(0);
});

const openai = (apiKey: string) => new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey, maxRetries: 0 });
const anthropic = (apiKey: string) => new Anthropic({ baseURL: gateway.url, apiKey, maxRetries: 0 });
const ask = { model: "chat", messages: [{ role: "user" as const, content: "hello there" }] };

describe("auth on the OpenAI-compatible surface", () => {
  it("answers a valid key and refuses an unknown one with AuthenticationError", async () => {
    const answer = await openai(chatOnlyKey).chat.completions.create(ask);
    expect(answer.choices[0]!.message.content).toBeTruthy();
    await expect(openai("sk-sy-not-a-real-key").chat.completions.create(ask)).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it("refuses a model group outside the key's allowlist with PermissionDeniedError", async () => {
    await expect(openai(chatOnlyKey).chat.completions.create({ ...ask, model: "other" })).rejects.toBeInstanceOf(
      OpenAI.PermissionDeniedError,
    );
  });

  it("lists only the model groups the key may call", async () => {
    const models = await openai(chatOnlyKey).models.list();
    expect(models.data.map((m) => m.id)).toEqual(["chat"]);
  });

  it("stops a key at its budget with RateLimitError", async () => {
    await openai(budgetKey).chat.completions.create(ask);
    await expect(openai(budgetKey).chat.completions.create(ask)).rejects.toBeInstanceOf(OpenAI.RateLimitError);
  });
});

describe("auth on the Anthropic-compatible surface", () => {
  it("takes the key from x-api-key and refuses a missing or unknown one", async () => {
    const message = await anthropic(chatOnlyKey).messages.create({ ...ask, max_tokens: 32 });
    expect(message.content[0]!.type).toBe("text");
    await expect(anthropic("sk-sy-not-a-real-key").messages.create({ ...ask, max_tokens: 32 })).rejects.toBeInstanceOf(
      Anthropic.AuthenticationError,
    );
  });

  it("never writes a key into the logs", () => {
    const all = lines.join("");
    for (const secret of [MASTER_KEY, chatOnlyKey, budgetKey]) expect(all).not.toContain(secret);
  });
});

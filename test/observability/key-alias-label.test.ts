import { Code } from "@connectrpc/connect";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, type Gateway } from "../../src/server/gateway.js";
import { collect } from "../support/async.js";
import { configFromYaml, mockConfig } from "../support/gateway.js";
import { authConfig, bearer, clients, MASTER_KEY, PROTOCOLS, refusal } from "../auth/support.js";

/**
 * observability.key_alias_label on a real gateway with auth: the request,
 * token and cost counters carry the caller's key alias ("master" for the
 * master key, "" when unauthenticated), never the key id or secret; with
 * the setting off (the default) no series has a key_alias label.
 */
const storeFile = () => join(mkdtempSync(join(tmpdir(), "sy-alias-")), "keys.json");
const hi = { model: "chat", messages: [{ role: "user", content: "hello there" }] };
const PROTOCOL_LABEL: Record<string, string> = { gRPC: "grpc", Connect: "connect", "gRPC-Web": "grpc_web" };
const KEY_ALIAS_METRICS = ["switchyard_requests_total", "switchyard_tokens_total", "switchyard_cost_usd_total"];

async function start(observability: Record<string, unknown>, yaml?: string): Promise<Gateway> {
  const config = yaml ?? authConfig({ auth_settings: { store_file: storeFile() }, observability });
  return startGateway({ config: configFromYaml(config), port: 0, host: "127.0.0.1" });
}

async function scrape(gateway: Gateway): Promise<string> {
  const res = await fetch(`${gateway.url}/metrics`);
  expect(res.status).toBe(200);
  return res.text();
}

/** The sample lines of one metric (no HELP/TYPE lines). */
function series(text: string, name: string): string[] {
  return text.split("\n").filter((line) => line.startsWith(`${name}{`));
}

/** The value of the first series of `name` having every label in `labels`; 0 when none. */
function value(text: string, name: string, labels: Record<string, string>): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = series(text, name).find((l) => wanted.every((w) => l.split(" ")[0]!.includes(w)));
  return line ? Number(line.split(" ").at(-1)) : 0;
}

describe("observability.key_alias_label on", () => {
  let gateway: Gateway;
  let secret: string;
  let keyId: string;

  beforeAll(async () => {
    gateway = await start({ key_alias_label: true });
    const { admin } = clients(PROTOCOLS.gRPC!(gateway.url));
    const created = await admin.createKey({ alias: "team-a" }, bearer(MASTER_KEY));
    secret = created.key;
    keyId = created.keyId;
  });
  afterAll(() => gateway?.close(0));

  it.each(Object.keys(PROTOCOLS))("labels a virtual key's unary and streamed calls with its alias over %s", async (protocol) => {
    const { inference } = clients(PROTOCOLS[protocol]!(gateway.url));
    const before = await scrape(gateway);
    await inference.complete(hi, bearer(secret));
    await collect(inference.streamComplete(hi, bearer(secret)));
    const after = await scrape(gateway);

    const labels = { model_group: "chat", key_alias: "team-a" };
    const delta = (name: string, extra: Record<string, string> = {}) =>
      value(after, name, { ...labels, ...extra }) - value(before, name, { ...labels, ...extra });
    expect(delta("switchyard_requests_total", { call_type: "complete", code: "OK", protocol: PROTOCOL_LABEL[protocol]! })).toBe(1);
    expect(delta("switchyard_requests_total", { call_type: "stream_complete", code: "OK", protocol: PROTOCOL_LABEL[protocol]! })).toBe(1);
    expect(delta("switchyard_tokens_total", { kind: "prompt" })).toBeGreaterThan(0);
    expect(delta("switchyard_tokens_total", { kind: "completion" })).toBeGreaterThan(0);
    expect(delta("switchyard_cost_usd_total")).toBeGreaterThan(0);
  });

  it('shows the master key as "master" and an unauthenticated call as ""', async () => {
    const { inference } = clients(PROTOCOLS.Connect!(gateway.url));
    await inference.complete(hi, bearer(MASTER_KEY));
    await refusal(inference.complete(hi, bearer(undefined)), Code.Unauthenticated);
    await refusal(inference.complete(hi, bearer("sk-sy-not-a-key")), Code.Unauthenticated);
    const text = await scrape(gateway);
    expect(value(text, "switchyard_requests_total", { key_alias: "master", code: "OK" })).toBeGreaterThanOrEqual(1);
    expect(value(text, "switchyard_cost_usd_total", { key_alias: "master" })).toBeGreaterThan(0);
    expect(value(text, "switchyard_requests_total", { key_alias: "", code: "UNAUTHENTICATED" })).toBe(2);
  });

  it("puts key_alias on the request, token and cost counters only, and never the key id or secret", async () => {
    const text = await scrape(gateway);
    for (const name of KEY_ALIAS_METRICS) {
      const lines = series(text, name);
      expect(lines.length, name).toBeGreaterThan(0);
      for (const line of lines) expect(line, name).toMatch(/key_alias="/);
    }
    const others = text.split("\n").filter((l) => !l.startsWith("#") && !KEY_ALIAS_METRICS.some((name) => l.startsWith(`${name}{`)));
    for (const line of others) expect(line).not.toContain("key_alias");
    expect(text).not.toContain(secret);
    expect(text).not.toContain(keyId);
    expect(text).not.toContain(MASTER_KEY);
  });
});

describe("observability.key_alias_label off (the default)", () => {
  let gateway: Gateway;
  let secret: string;

  beforeAll(async () => {
    gateway = await start({});
    const { admin } = clients(PROTOCOLS.gRPC!(gateway.url));
    secret = (await admin.createKey({ alias: "team-a" }, bearer(MASTER_KEY))).key;
  });
  afterAll(() => gateway?.close(0));

  it("has no key_alias label at all, and no alias or secret, in /metrics", async () => {
    const { inference } = clients(PROTOCOLS.Connect!(gateway.url));
    await inference.complete(hi, bearer(secret));
    await collect(inference.streamComplete(hi, bearer(secret)));
    const text = await scrape(gateway);
    expect(value(text, "switchyard_requests_total", { model_group: "chat", call_type: "complete", code: "OK" })).toBe(1);
    expect(value(text, "switchyard_cost_usd_total", { model_group: "chat" })).toBeGreaterThan(0);
    expect(text).not.toContain("key_alias");
    expect(text).not.toContain("team-a");
    expect(text).not.toContain(secret);
  });
});

describe("observability.key_alias_label on with auth off", () => {
  let gateway: Gateway;

  beforeAll(async () => {
    const yaml = JSON.stringify({ ...JSON.parse(mockConfig({}, "chat")), observability: { key_alias_label: true } });
    gateway = await start({}, yaml);
  });
  afterAll(() => gateway?.close(0));

  it('labels every call key_alias=""', async () => {
    const { inference } = clients(PROTOCOLS.Connect!(gateway.url));
    await inference.complete(hi);
    const text = await scrape(gateway);
    expect(value(text, "switchyard_requests_total", { model_group: "chat", code: "OK", key_alias: "" })).toBe(1);
  });
});

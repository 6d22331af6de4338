import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorKind, GatewayError } from "../../../src/errors/gateway-error.js";
import { UpstreamClient } from "../../../src/providers/http/upstream-client.js";
import { jsonReply, ScriptedServer } from "../../support/fake-upstreams/scripted-server.js";

let server: ScriptedServer;
/** Client-side port of the connection each request arrived on. */
const clientPorts: number[] = [];

beforeAll(async () => {
  server = await ScriptedServer.start((req, res) => {
    clientPorts.push(res.socket!.remotePort!);
    return jsonReply(200, { ok: true })(req, res);
  });
});
afterAll(() => server.close());

describe("UpstreamClient", () => {
  it("prefixes the base URL's path and reuses one keep-alive connection for sequential requests", async () => {
    const client = new UpstreamClient("test", `${server.url}/v1/`);
    clientPorts.length = 0;
    for (let i = 0; i < 3; i++) {
      const res = await client.request({ path: "/chat/completions", body: "{}", signal: new AbortController().signal });
      expect(res.status).toBe(200);
      expect(JSON.parse(await client.text(res, new AbortController().signal))).toEqual({ ok: true });
      // undici frees the connection on the turn after the body ends.
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(server.requests.slice(-3).map((r) => r.path)).toEqual(["/v1/chat/completions", "/v1/chat/completions", "/v1/chat/completions"]);
    expect(new Set(clientPorts).size).toBe(1);
    await client.close();
  });

  it("maps a refused connection to UPSTREAM_UNAVAILABLE naming the provider", async () => {
    const gone = await ScriptedServer.start();
    const url = gone.url;
    await gone.close();
    const client = new UpstreamClient("acme", url);
    const err = await client.request({ path: "/x", signal: new AbortController().signal }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).kind).toBe(ErrorKind.UPSTREAM_UNAVAILABLE);
    expect((err as GatewayError).message).toMatch(/^acme: upstream connection failed/);
    await client.close();
  });

  it("rejects with the caller's abort reason, not a network error, when the signal fires", async () => {
    server.enqueue(() => new Promise(() => {})); // never answers
    const client = new UpstreamClient("test", server.url);
    const controller = new AbortController();
    const pending = client.request({ path: "/slow", signal: controller.signal });
    const reason = new Error("deadline passed");
    setImmediate(() => controller.abort(reason));
    await expect(pending).rejects.toBe(reason);
    await client.close();
  });
});

import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, expect, it } from "vitest";
import { AdminService } from "../../gen/ts/switchyard/v1/admin_pb.js";
import type { Gateway } from "../../src/server/gateway.js";
import { startTestGateway } from "../support/gateway.js";

const group = (ids: string[]) => JSON.stringify({ model_list: ids.map((id) => ({ model_name: "chat", id, provider: "mock", params: { model: "m" } })) });
const gateways: Gateway[] = [];
afterAll(() => Promise.all(gateways.map((g) => g.close(0))));

const deploymentsInState = async (g: Gateway) => {
  const text = await (await fetch(`${g.url}/metrics`)).text();
  return [...new Set([...text.matchAll(/^switchyard_deployment_state\{deployment="([^"]+)"/gm)].map((m) => m[1]))].sort();
};

it("switchyard_deployment_state follows a hot reload: the new config's deployments, not the ones the gateway started with", async () => {
  const gateway = await startTestGateway(group(["old-a", "kept"]));
  gateways.push(gateway);
  expect(await deploymentsInState(gateway)).toEqual(["kept", "old-a"]);
  const admin = createClient(AdminService, createConnectTransport({ baseUrl: gateway.url, httpVersion: "1.1" }));
  await admin.reloadConfig({ configText: group(["kept", "new-b"]) });
  expect(await deploymentsInState(gateway)).toEqual(["kept", "new-b"]);
});

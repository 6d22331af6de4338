import { Code, ConnectError, createClient, type Client, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { pino } from "pino";
import { Writable } from "node:stream";
import { expect } from "vitest";
import { AdminService } from "../../gen/ts/switchyard/v1/admin_pb.js";
import { InferenceService } from "../../gen/ts/switchyard/v1/inference_pb.js";
import type { Logger } from "../../src/observability/logger.js";
import { startGateway, type Gateway } from "../../src/server/gateway.js";
import type { Clock } from "../../src/util/clock.js";
import { configFromYaml } from "../support/gateway.js";
import { startInMemoryGateway, type InMemoryGateway } from "../support/in-memory-gateway.js";
import { collect } from "../support/async.js";

export const MASTER_KEY = "sk-master-test-0123456789abcdef";

/** A config with two mock model groups ("chat" priced so calls cost money, "other") and auth on. */
export function authConfig(extra: Record<string, unknown> = {}, mock: Record<string, unknown> = {}): string {
  return JSON.stringify({
    model_list: [
      { model_name: "chat", provider: "mock", params: { model: "mock-1", mock }, input_cost_per_token: 0.001, output_cost_per_token: 0.002 },
      { model_name: "other", provider: "mock", params: { model: "mock-1", mock } },
    ],
    ...extra,
    auth_settings: { master_key: MASTER_KEY, ...(extra.auth_settings as object) },
  });
}

/** A logger that keeps every line it writes (all levels) in `lines`. */
function keptLog(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { logger: pino({ level: "trace" }, sink), lines };
}

/** A real gateway on a free port whose log lines (all levels) are kept in `lines`: for checks that differ by wire protocol. */
export async function startLoggedGateway(yaml: string, options: { clock?: Clock } = {}): Promise<{ gateway: Gateway; lines: string[] }> {
  const { logger, lines } = keptLog();
  const gateway = await startGateway({ config: configFromYaml(yaml), port: 0, host: "127.0.0.1", logger, clock: options.clock });
  return { gateway, lines };
}

/** An in-memory gateway (same routes and interceptors, no socket) whose log lines (all levels) are kept in `lines`. */
export async function startLoggedInMemoryGateway(yaml: string, options: { clock?: Clock } = {}): Promise<{ gateway: InMemoryGateway; lines: string[] }> {
  const { logger, lines } = keptLog();
  const gateway = await startInMemoryGateway(yaml, { logger, clock: options.clock });
  return { gateway, lines };
}

export const PROTOCOLS: Record<string, (url: string) => Transport> = {
  gRPC: (baseUrl) => createGrpcTransport({ baseUrl }),
  Connect: (baseUrl) => createConnectTransport({ baseUrl, httpVersion: "1.1" }),
  "gRPC-Web": (baseUrl) => createGrpcWebTransport({ baseUrl, httpVersion: "1.1" }),
};

export function clients(transport: Transport): { inference: Client<typeof InferenceService>; admin: Client<typeof AdminService> } {
  return { inference: createClient(InferenceService, transport), admin: createClient(AdminService, transport) };
}

export function bearer(key: string | undefined): { headers: Record<string, string> } {
  return { headers: key === undefined ? {} : { authorization: `Bearer ${key}` } };
}

type CallType = (client: Client<typeof InferenceService>, model: string, key: string | undefined) => Promise<unknown>;

/** Every model-calling RPC, each made with the given key. */
export const CALL_TYPES: Record<string, CallType> = {
  Complete: (c, model, key) => c.complete({ model, messages: [{ role: "user", content: "hello there" }] }, bearer(key)),
  StreamComplete: (c, model, key) => collect(c.streamComplete({ model, messages: [{ role: "user", content: "hello there" }] }, bearer(key))),
  Embed: (c, model, key) => c.embed({ model, input: ["hello there"] }, bearer(key)),
  GenerateImage: (c, model, key) => c.generateImage({ model, prompt: "a switchyard" }, bearer(key)),
  Moderate: (c, model, key) => c.moderate({ model, input: ["hello there"] }, bearer(key)),
};

/** The ConnectError a call fails with; fails the test when it succeeds. */
export async function refusal(promise: Promise<unknown>, code: Code): Promise<ConnectError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, "the call should have been refused").toBeInstanceOf(ConnectError);
  expect(Code[(err as ConnectError).code]).toBe(Code[code]);
  return err as ConnectError;
}

import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DeploymentSchema } from "../../../gen/ts/switchyard/v1/config_pb.js";
import { CompletionRequestSchema, ErrorKind } from "../../../gen/ts/switchyard/v1/inference_pb.js";
import { anthropicProvider } from "../../../src/providers/anthropic/index.js";
import { azureProvider } from "../../../src/providers/azure/index.js";
import { bedrockProvider } from "../../../src/providers/bedrock/index.js";
import { geminiProvider } from "../../../src/providers/gemini/index.js";
import { openAiCompatibleProviders } from "../../../src/providers/openai-compatible/index.js";
import { openaiProvider } from "../../../src/providers/openai/index.js";
import { secretsOf, upstreamHeaders } from "../../../src/providers/http/headers.js";
import type { ProviderAdapter, ProviderFactory } from "../../../src/providers/provider.js";
import { collect, failure } from "../../support/async.js";
import { FakeClock } from "../../support/fake-clock.js";
import * as anthropic from "../../support/fake-upstreams/anthropic.js";
import * as bedrock from "../../support/fake-upstreams/bedrock.js";
import * as gemini from "../../support/fake-upstreams/gemini.js";
import * as openai from "../../support/fake-upstreams/openai.js";
import { ScriptedServer, type Reply } from "../../support/fake-upstreams/scripted-server.js";

/**
 * The one header rule and the one masking rule (src/providers/http/headers.ts),
 * checked against every provider that sends configured `params.headers`,
 * each through its real fake upstream:
 *  - configured headers reach the upstream, names case-insensitive;
 *  - the adapter's auth and protocol headers win over configured ones of the same name;
 *  - the configured credential and every credential-looking header value are
 *    masked in every error text: HTTP errors of unary and streamed calls, and
 *    error events inside a stream.
 */

/** Credentials that match none of the generic key patterns, so only the masking rule can hide them. */
const API_KEY = "conf1gured-credential-Zq81x";
const PROXY_CREDENTIAL = "proxy-credential-42";
const UPSTREAM_TOKEN = "upstream-token-7731";
const FORGED = "forged-credential-0000";

/** Configured headers: ordinary ones, credential-looking ones, and would-be overrides of owned ones (odd capitalisation on purpose). */
const CONFIGURED_HEADERS = {
  "X-Team": "search",
  "X-Proxy-Key": PROXY_CREDENTIAL,
  "X-Upstream-Authorization": `Bearer ${UPSTREAM_TOKEN}`,
  "Content-Type": "text/plain",
  Accept: "text/html",
};

/** Everything a test needs to drive one provider through its fake upstream. */
interface ProviderKit {
  factory: ProviderFactory;
  start(): Promise<ScriptedServer>;
  params(url: string): MessageInitShape<typeof DeploymentSchema>["params"];
  /** The adapter's credential header; configured headers try to replace it. */
  authHeader: string;
  /** What the adapter itself sends in authHeader. */
  expectAuth(value: string | undefined): void;
  /** Queues replies (Bedrock's check the SigV4 signature first). */
  enqueue(server: ScriptedServer, ...replies: Reply[]): void;
  ok(): Reply;
  /** A 403 whose message is `text`, in the provider's error format. */
  forbidden(text: string): Reply;
  /** A 200 stream that fails with an error event whose message is `text`. */
  streamError(text: string): Reply;
}

function openAiWireKit(factory: ProviderFactory): ProviderKit {
  const azure = factory.name === "azure";
  return {
    factory,
    start: () => openai.startOpenAiFake(),
    params: (url) => ({ model: "test-model", apiBase: `${url}/v1`, apiKey: API_KEY }),
    authHeader: azure ? "api-key" : "authorization",
    expectAuth: (value) => expect(value).toBe(azure ? API_KEY : `Bearer ${API_KEY}`),
    enqueue: (server, ...replies) => void server.enqueue(...replies),
    ok: () => openai.jsonReply(200, openai.chatCompletion()),
    forbidden: (text) => openai.openAiError(403, { message: text, type: "permission_error", code: null, param: null }),
    streamError: (text) => openai.openAiStream([openai.sseEvent({ error: { message: text, type: "permission_error", code: 403, param: null } })]),
  };
}

const KITS: ProviderKit[] = [
  {
    factory: anthropicProvider,
    start: () => anthropic.startFakeAnthropic(),
    params: (url) => ({ model: anthropic.MODEL, apiBase: url, apiKey: API_KEY }),
    authHeader: "x-api-key",
    expectAuth: (value) => expect(value).toBe(API_KEY),
    enqueue: (server, ...replies) => void server.enqueue(...replies),
    ok: () => anthropic.messageReply({ content: [{ type: "text", text: "ok" }] }),
    forbidden: (text) => anthropic.errorReply(403, "permission_error", text),
    streamError: (text) => anthropic.sseReply([anthropic.messageStart(), anthropic.errorEvent("permission_error", text)]),
  },
  {
    factory: geminiProvider,
    start: () => gemini.startFakeGemini(),
    params: (url) => ({ model: gemini.MODEL, apiBase: url, apiKey: API_KEY }),
    authHeader: "x-goog-api-key",
    expectAuth: (value) => expect(value).toBe(API_KEY),
    enqueue: (server, ...replies) => void server.enqueue(...replies),
    ok: () => gemini.generateReply([gemini.candidate([{ text: "ok" }], "STOP")]),
    forbidden: (text) => gemini.errorReply(403, "PERMISSION_DENIED", text),
    streamError: (text) => gemini.sseReply([{ error: { code: 403, message: text, status: "PERMISSION_DENIED" } }]),
  },
  {
    factory: bedrockProvider,
    start: () => bedrock.startFakeBedrock(),
    params: (url) => ({
      model: bedrock.MODEL_ID,
      region: bedrock.REGION,
      apiBase: url,
      awsAccessKeyId: bedrock.TEST_CREDENTIALS.accessKeyId,
      // The secret never leaves the gateway (SigV4 signs with it); the session token does, in x-amz-security-token.
      awsSecretAccessKey: bedrock.TEST_CREDENTIALS.secretAccessKey,
      awsSessionToken: bedrock.TEST_CREDENTIALS.sessionToken,
    }),
    authHeader: "x-amz-security-token",
    expectAuth: (value) => expect(value).toBe(bedrock.TEST_CREDENTIALS.sessionToken),
    enqueue: (server, ...replies) => (server as Awaited<ReturnType<typeof bedrock.startFakeBedrock>>).enqueueSigned(...replies),
    ok: () => bedrock.converseReply([{ text: "ok" }]),
    forbidden: (text) => bedrock.errorReply(403, "AccessDeniedException", text),
    streamError: (text) => bedrock.eventStreamReply([bedrock.messageStart(), bedrock.exceptionFrame("accessDeniedException", text)]),
  },
  ...[openaiProvider, azureProvider, ...openAiCompatibleProviders].map(openAiWireKit),
];

const clock = new FakeClock(Date.UTC(2026, 0, 1, 9, 30, 0));
const HELLO = create(CompletionRequestSchema, { model: "test", messages: [{ role: "user", content: "Hello" }] });
const call = () => ({ signal: new AbortController().signal });

function adapterFor(kit: ProviderKit, url: string, headers: Record<string, string>): ProviderAdapter {
  const deployment = create(DeploymentSchema, { modelName: "test", provider: kit.factory.name, params: { ...kit.params(url), headers } });
  expect(kit.factory.validate?.(deployment) ?? []).toEqual([]);
  return kit.factory.create(deployment, { clock });
}

describe.each(KITS.map((kit) => [kit.factory.name, kit] as const))("%s: configured headers and secret masking", (_name, kit) => {
  let server: ScriptedServer;
  let adapter: ProviderAdapter;

  beforeAll(async () => {
    server = await kit.start();
    adapter = adapterFor(kit, server.url, { ...CONFIGURED_HEADERS, [capitalize(kit.authHeader)]: FORGED });
  });
  afterAll(async () => {
    await adapter?.close?.();
    await server?.close();
  });

  it("sends configured headers, but its own auth and protocol headers win over configured ones of the same name", async () => {
    kit.enqueue(server, kit.ok());
    await adapter.complete!(HELLO, call());
    const sent = server.lastRequest.headers;
    expect(bedrock.rejectedSignatures).toEqual([]);
    expect(sent["x-team"]).toBe("search");
    expect(sent["x-proxy-key"]).toBe(PROXY_CREDENTIAL);
    kit.expectAuth(sent[kit.authHeader] as string | undefined);
    expect(JSON.stringify(sent)).not.toContain(FORGED);
    expect(sent["content-type"]).toBe("application/json");
    expect(sent.accept).toBe("application/json");
  });

  it("masks the configured credential and every credential-looking header value in HTTP errors of unary and streamed calls", async () => {
    const echo = `rejected ${secretOf(kit)} via ${PROXY_CREDENTIAL} and ${UPSTREAM_TOKEN}`;
    kit.enqueue(server, kit.forbidden(echo), kit.forbidden(echo));
    const errors = [await failure(adapter.complete!(HELLO, call())), await failure(collect(adapter.stream!(HELLO, call())))];
    for (const err of errors) {
      expect(err.kind).toBe(ErrorKind.PERMISSION_DENIED);
      expect(err.provider).toBe(kit.factory.name);
      expect(err.httpStatus).toBe(403);
      expectMasked(err.message, kit);
    }
  });

  it("masks them in error events inside a stream too", async () => {
    kit.enqueue(server, kit.streamError(`rejected ${secretOf(kit)} via ${PROXY_CREDENTIAL} and ${UPSTREAM_TOKEN}`));
    const err = await failure(collect(adapter.stream!(HELLO, call())));
    expect(err.kind).toBe(ErrorKind.PERMISSION_DENIED);
    expectMasked(err.message, kit);
  });
});

describe("the header rule, piece by piece", () => {
  it("lower-cases configured names, lets owned headers with a value win, and never takes transport or reserved names from config", () => {
    const headers = upstreamHeaders(
      { "X-Team": "search", Authorization: "Bearer configured", "Content-Length": "3", Host: "evil.example", "X-Amz-Date": "19700101T000000Z" },
      { "content-type": "application/json", "x-api-key": "owned-key", "api-key": undefined, authorization: "" },
      ["x-amz-date"],
    );
    expect(headers).toEqual({
      "x-team": "search",
      // Owned but not sent (no value): the configured credential stands.
      authorization: "Bearer configured",
      "content-type": "application/json",
      "x-api-key": "owned-key",
    });
  });

  it("masks configured credentials and credential-looking header values (a bearer token with and without its scheme)", () => {
    const secrets = secretsOf(["the-api-key", undefined, ""], {
      authorization: "Bearer tok-123456",
      "x-proxy-key": "pk",
      "x-session-token": "sess-1",
      cookie: "sid=abc",
      "x-team": "search",
    });
    expect(secrets.sort()).toEqual(["Bearer tok-123456", "pk", "sess-1", "sid=abc", "the-api-key", "tok-123456"].sort());
  });
});

describe("an auth header the adapter does not send may come from config", () => {
  it("a keyless OpenAI-compatible deployment authenticates with a configured bearer token, which is masked like a key", async () => {
    const server = await openai.startOpenAiFake();
    const factory = openAiCompatibleProviders.find((p) => p.name === "openai_compatible")!;
    const deployment = create(DeploymentSchema, {
      modelName: "test",
      provider: factory.name,
      params: { model: "m", apiBase: `${server.url}/v1`, headers: { Authorization: `Bearer ${UPSTREAM_TOKEN}` } },
    });
    const adapter = factory.create(deployment, { clock });
    try {
      server.enqueue(openai.jsonReply(200, openai.chatCompletion()), openai.openAiError(401, { message: `bad token ${UPSTREAM_TOKEN}`, type: null, code: null, param: null }));
      await adapter.complete!(HELLO, call());
      expect(server.lastRequest.headers.authorization).toBe(`Bearer ${UPSTREAM_TOKEN}`);
      const err = await failure(adapter.complete!(HELLO, call()));
      expect(err.kind).toBe(ErrorKind.AUTHENTICATION);
      expect(err.message).toBe("openai_compatible: bad token [REDACTED]");
    } finally {
      await adapter.close?.();
      await server.close();
    }
  });
});

/** The credential each provider was configured with that an upstream might echo. */
function secretOf(kit: ProviderKit): string {
  return kit.factory === bedrockProvider ? bedrock.TEST_CREDENTIALS.sessionToken : API_KEY;
}

function expectMasked(message: string, kit: ProviderKit): void {
  for (const secret of [secretOf(kit), PROXY_CREDENTIAL, UPSTREAM_TOKEN]) expect(message).not.toContain(secret);
  expect(message).toContain(`${kit.factory.name}: `);
  expect(message.match(/\[REDACTED\]/g)).toHaveLength(3);
}

function capitalize(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_m, dash: string, letter: string) => dash + letter.toUpperCase());
}

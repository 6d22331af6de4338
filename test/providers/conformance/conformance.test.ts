import { create, toJson } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { readdirSync } from "node:fs";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ErrorInfoSchema, RetryInfoSchema } from "../../../gen/ts/google/rpc/error_details_pb.js";
import { DeploymentSchema, ProviderParamsSchema } from "../../../gen/ts/switchyard/v1/config_pb.js";
import { ErrorKind, FinishReason, InferenceService, type ModelResponseChunk } from "../../../gen/ts/switchyard/v1/inference_pb.js";
import { GatewayError } from "../../../src/errors/gateway-error.js";
import { kindName, toConnectError } from "../../../src/errors/status.js";
import type { CallContext, ProviderAdapter } from "../../../src/providers/provider.js";
import { builtinProviders } from "../../../src/providers/registry.js";
import type { Gateway } from "../../../src/server/gateway.js";
import { clockTimeout } from "../../../src/util/clock.js";
import { estimateTokens } from "../../../src/util/tokens.js";
import { FakeClock } from "../../support/fake-clock.js";
import type { Reply } from "../../support/fake-upstreams/scripted-server.js";
import { collect, within } from "../../support/async.js";
import { startTestGateway } from "../../support/gateway.js";
import {
  EMBED_INPUT,
  ERROR_CASES,
  RETRY_AFTER_SECONDS,
  STREAM_USAGE,
  USAGE,
  reassembleToolCalls,
  wireRecord,
  type ConformanceKit,
  type ErrorCase,
  type FakeUpstream,
  type Purpose,
} from "./kit.js";
import { EMBED, HELLO, IMAGE_GENERATION, IMAGE_IN_MESSAGE, JSON_MODE, MODERATION, TOOLS } from "./requests.js";

/**
 * One conformance suite for every provider in builtinProviders(): each
 * joins through its kit (kits/*.ts), so a new provider needs no edit here.
 * Cases run against the adapter the gateway would build, talking to a real
 * HTTP fake of the provider's upstream; a few run through a real gateway.
 */

const registry = builtinProviders();
const KITS_DIR = new URL("./kits/", import.meta.url);
const kitModules = await Promise.all(
  readdirSync(KITS_DIR)
    .filter((file) => file.endsWith(".ts"))
    .sort()
    .map((file) => import(new URL(file, KITS_DIR).href) as Promise<{ kits?: ConformanceKit[] }>),
);
const ALL_KITS = kitModules.flatMap((m) => m.kits ?? []);
const KITS = ALL_KITS.filter((kit) => registry.get(kit.provider) !== undefined);

/** How long a cancelled or timed-out call may take to end: far below the runner's timeout, so a hang fails with a message. */
const CLOSE_BOUND_MS = 5_000;

/** What each scripted upstream error must become: the taxonomy kind, and (independently) the gRPC code clients see. */
const EXPECTED: Record<ErrorCase, [ErrorKind, Code]> = {
  bad_request: [ErrorKind.INVALID_REQUEST, Code.InvalidArgument],
  unauthenticated: [ErrorKind.AUTHENTICATION, Code.Unauthenticated],
  forbidden: [ErrorKind.PERMISSION_DENIED, Code.PermissionDenied],
  not_found: [ErrorKind.NOT_FOUND, Code.NotFound],
  timeout: [ErrorKind.TIMEOUT, Code.DeadlineExceeded],
  too_large: [ErrorKind.PAYLOAD_TOO_LARGE, Code.InvalidArgument],
  rate_limited: [ErrorKind.RATE_LIMITED, Code.ResourceExhausted],
  server_error: [ErrorKind.UPSTREAM_UNAVAILABLE, Code.Unavailable],
  unavailable: [ErrorKind.UPSTREAM_UNAVAILABLE, Code.Unavailable],
  context_window: [ErrorKind.CONTEXT_WINDOW_EXCEEDED, Code.InvalidArgument],
};

const PURPOSES: readonly Purpose[] = ["chat", "embed", "image", "moderate", "slow"];

/** One provider under test: its fake upstream (if any), its clock and its adapters. */
interface Rig {
  kit: ConformanceKit;
  fake?: FakeUpstream;
  clock: FakeClock;
  adapters: Map<Purpose, ProviderAdapter>;
}
const rigs = new Map<string, Rig>();
const rigOf = (kit: ConformanceKit) => rigs.get(kit.provider)!;

function buildAdapter(kit: ConformanceKit, url: string | undefined, purpose: Purpose, clock: FakeClock): ProviderAdapter {
  const factory = registry.get(kit.provider)!;
  const deployment = create(DeploymentSchema, { modelName: `conformance-${kit.provider}`, provider: kit.provider, params: kit.params(url, purpose) });
  const problems = factory.validate?.(deployment) ?? [];
  if (problems.length > 0) throw new Error(`the ${kit.provider} kit's ${purpose} params are invalid: ${JSON.stringify(problems)}`);
  return factory.create(deployment, { clock });
}

beforeAll(async () => {
  for (const kit of KITS) {
    const fake = await kit.upstream?.start();
    const clock = new FakeClock();
    const adapters = new Map(PURPOSES.map((purpose) => [purpose, buildAdapter(kit, fake?.server.url, purpose, clock)] as const));
    rigs.set(kit.provider, { kit, fake, clock, adapters });
  }
});
afterAll(async () => {
  for (const rig of rigs.values()) {
    await Promise.all([...rig.adapters.values()].map((a) => a.close?.()));
    await rig.fake?.server.close();
    expect(rig.fake?.problems?.() ?? []).toEqual([]);
  }
});

const call = (signal = new AbortController().signal): CallContext => ({ signal });

/** The GatewayError a call (or a stream drained to its end) fails with; `seen` collects the chunks that came first. */
async function failureOf(work: Promise<unknown> | AsyncIterable<ModelResponseChunk>, seen: ModelResponseChunk[] = []): Promise<GatewayError> {
  let error: unknown;
  try {
    if (Symbol.asyncIterator in work) for await (const chunk of work) seen.push(chunk);
    else await work;
  } catch (err) {
    error = err;
  }
  expect(error, "expected the call to fail").toBeInstanceOf(GatewayError);
  return error as GatewayError;
}

/** Reads what is left of a stream (chunks already buffered may still come) and returns what it fails with; a clean end fails the test. */
async function errorOfRest(stream: AsyncIterator<ModelResponseChunk>): Promise<unknown> {
  try {
    while (!(await stream.next()).done);
  } catch (err) {
    return err;
  }
  throw new Error("the stream ended cleanly instead of failing");
}

const contentOf = (chunks: readonly ModelResponseChunk[]) => chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("");

describe("conformance kits", () => {
  it("every registered provider has a kit", () => {
    const missing = registry.names().filter((name) => !ALL_KITS.some((kit) => kit.provider === name));
    expect(
      missing,
      `providers without a conformance kit: add test/providers/conformance/kits/<provider>.ts exporting \`kits: ConformanceKit[]\` (README, "Adding a provider")`,
    ).toEqual([]);
  });

  it("every kit is for a registered provider, and there is one kit per provider", () => {
    const names = ALL_KITS.map((kit) => kit.provider);
    expect(names.filter((name) => registry.get(name) === undefined), "kits for providers builtinProviders() does not register").toEqual([]);
    expect(names.filter((name, i) => names.indexOf(name) !== i), "providers with more than one kit").toEqual([]);
  });
});

describe.each(KITS)("$provider", (kit) => {
  const upstream = kit.upstream;
  const refuses = new Set(kit.refuses ?? []);
  const adapter = (purpose: Purpose = "chat") => rigOf(kit).adapters.get(purpose)!;
  /** Queues upstream answers; a kit without an upstream has none to queue. */
  const script = (...replies: Array<Reply | undefined>) => {
    const queued = replies.filter((r): r is Reply => r !== undefined);
    if (queued.length > 0) rigOf(kit).fake!.enqueue(...queued);
  };
  const sent = () => rigOf(kit).fake?.server.requests.length ?? 0;
  /** Compares what the fake received with fixtures/<provider>/<name>.request.json (recorded on first run). */
  const expectWire = async (name: string) => {
    const fake = rigOf(kit).fake;
    if (!fake) return;
    await expect(wireRecord(fake.server.lastRequest, upstream?.volatileHeaders)).toMatchFileSnapshot(`./fixtures/${kit.provider}/${name}.request.json`);
  };

  beforeEach(() => rigOf(kit).fake?.server.reset());

  it("unary: the text answer, finish STOP, usage", async () => {
    script(upstream?.text());
    const answer = await adapter().complete!(HELLO, call());
    expect(answer.choices[0]!.message!.content).toBe(kit.expect.text);
    expect(answer.choices[0]!.finishReason).toBe(FinishReason.STOP);
    const usage = answer.usage!;
    expect(usage.totalTokens).toBe(usage.promptTokens + usage.completionTokens);
    expect(usage.completionTokens).toBeGreaterThan(0);
    if (upstream) expect(usage).toMatchObject(USAGE);
    await expectWire("complete");
  });

  it("stream: deltas in order, role on the first chunk, finish reason and usage only on the last", async () => {
    script(upstream?.stream("text"));
    const chunks = await collect(adapter().stream!(HELLO, call()));
    expect(contentOf(chunks)).toBe(kit.expect.streamText);
    expect(chunks[0]!.choices[0]!.delta!.role).toBe("assistant");
    expect(chunks.slice(1).every((c) => (c.choices[0]?.delta?.role ?? "") === "")).toBe(true);
    expect(chunks.slice(0, -1).every((c) => c.usage === undefined && c.choices[0]!.finishReason === FinishReason.UNSPECIFIED)).toBe(true);
    const last = chunks.at(-1)!;
    expect(last.choices[0]!.finishReason).toBe(FinishReason.STOP);
    expect(last.usage!.totalTokens).toBe(last.usage!.promptTokens + last.usage!.completionTokens);
    if (upstream) expect(last.usage).toMatchObject(STREAM_USAGE);
    await expectWire("stream");
  });

  if (refuses.has("tools")) {
    it.each([
      ["unary", (a: ProviderAdapter) => a.complete!(TOOLS, call())],
      ["stream", (a: ProviderAdapter) => collect(a.stream!(TOOLS, call()))],
    ] as const)("tools (%s): refused as INVALID_ARGUMENT naming the field, without calling the upstream", async (_name, run) => {
      const err = await failureOf(run(adapter()));
      expect(err.kind).toBe(ErrorKind.INVALID_REQUEST);
      expect(err.field).toMatch(/^tool/);
      expect(err.message).toContain(kit.provider);
      expect(sent()).toBe(0);
    });
  } else {
    it("tools (unary): the calls with their arguments, finish TOOL_CALLS", async () => {
      script(upstream?.toolCall());
      const answer = await adapter().complete!(TOOLS, call());
      expect(answer.choices[0]!.finishReason).toBe(FinishReason.TOOL_CALLS);
      const calls = answer.choices[0]!.message!.toolCalls.map((c) => ({ id: c.id, name: c.function?.name, arguments: c.function?.arguments }));
      expect(calls).toEqual(kit.expect.toolCalls);
      await expectWire("tools");
    });

    it("tools (stream): tool-call deltas reassemble into the calls, finish TOOL_CALLS", async () => {
      script(upstream?.stream("tools"));
      const chunks = await collect(adapter().stream!(TOOLS, call()));
      expect(reassembleToolCalls(chunks)).toEqual(kit.expect.streamedToolCalls);
      expect(chunks.at(-1)!.choices[0]!.finishReason).toBe(FinishReason.TOOL_CALLS);
      await expectWire("tools-stream");
    });
  }

  it("JSON mode: the content is the JSON answer, finish STOP", async () => {
    script(upstream?.json());
    const answer = await adapter().complete!(JSON_MODE, call());
    expect(JSON.parse(answer.choices[0]!.message!.content)).toEqual(kit.expect.json);
    expect(answer.choices[0]!.finishReason).toBe(FinishReason.STOP);
    await expectWire("json");
  });

  if (refuses.has("images")) {
    it("images in messages: refused as INVALID_ARGUMENT naming the part, without calling the upstream", async () => {
      const err = await failureOf(adapter().complete!(IMAGE_IN_MESSAGE, call()));
      expect([err.kind, err.field]).toEqual([ErrorKind.INVALID_REQUEST, "messages[0].parts[1].image"]);
      expect(err.message).toContain(kit.provider);
      expect(sent()).toBe(0);
    });
  } else {
    it("images in messages: sent in the provider's image shape, answered", async () => {
      script(upstream?.text());
      const answer = await adapter().complete!(IMAGE_IN_MESSAGE, call());
      expect(answer.choices[0]!.message!.content).toBe(kit.expect.text);
      await expectWire("images");
    });
  }

  if (!upstream || upstream.withoutUsage?.unary) {
    it("usage is counted when the answer carries none", async () => {
      script(upstream?.withoutUsage?.unary?.());
      const usage = (await adapter().complete!(HELLO, call())).usage!;
      expect(usage.promptTokens).toBeGreaterThan(0);
      expect(usage.completionTokens).toBe(estimateTokens(kit.expect.text));
      expect(usage.totalTokens).toBe(usage.promptTokens + usage.completionTokens);
    });
  }

  if (!upstream || upstream.withoutUsage?.stream) {
    it("usage is counted when the stream carries none", async () => {
      script(upstream?.withoutUsage?.stream?.());
      const last = (await collect(adapter().stream!(HELLO, call()))).at(-1)!;
      expect(last.usage!.promptTokens).toBeGreaterThan(0);
      expect(last.usage!.completionTokens).toBe(estimateTokens(kit.expect.streamText));
    });
  }

  it("embeddings, image generation and moderation: answered where offered, absent (so refused by the router) where not", async () => {
    const offers = (purpose: Purpose, method: "embed" | "generateImage" | "moderate") => adapter(purpose)[method] !== undefined;
    if (offers("embed", "embed")) {
      script(...(upstream?.embed?.() ?? []));
      const answer = await adapter("embed").embed!(EMBED, call());
      expect(answer.data).toHaveLength(EMBED_INPUT.length);
      expect(answer.data[0]!.vector.length).toBeGreaterThan(0);
      expect(answer.usage!.promptTokens).toBeGreaterThan(0);
      await expectWire("embed");
    }
    if (offers("image", "generateImage")) {
      script(upstream?.image?.());
      const answer = await adapter("image").generateImage!(IMAGE_GENERATION, call());
      expect(answer.images.length).toBeGreaterThan(0);
      expect(answer.images[0]!.image.case).toBeDefined();
      await expectWire("image-generation");
    }
    if (offers("moderate", "moderate")) {
      script(upstream?.moderate?.());
      const answer = await adapter("moderate").moderate!(MODERATION, call());
      expect(answer.results.map((r) => r.flagged)).toEqual([true]);
      await expectWire("moderation");
    }
  });

  it("cancellation mid-stream: the call ends with the caller's reason and the upstream connection is closed", async () => {
    const fake = rigOf(kit).fake;
    const aborted = fake?.server.waitForAbort(fake.server.abortedResponses);
    script(upstream?.stream("hang"));
    const controller = new AbortController();
    const stream = adapter("slow").stream!(HELLO, call(controller.signal))[Symbol.asyncIterator]();
    expect((await stream.next()).done).toBe(false);
    const reason = new Error("client went away");
    controller.abort(reason);
    expect(await within(errorOfRest(stream), CLOSE_BOUND_MS, "the stream ending after the cancel")).toBe(reason);
    await aborted; // bounded: rejects if the fake never sees the connection closed
  });

  it("consumer stops reading: the stream settles and the upstream connection is released", async () => {
    const fake = rigOf(kit).fake;
    const aborted = fake?.server.waitForAbort(fake.server.abortedResponses);
    script(upstream?.stream("hang"));
    const stream = adapter("slow").stream!(HELLO, call())[Symbol.asyncIterator]();
    expect((await stream.next()).done).toBe(false);
    // What `break` in a for-await loop does.
    expect(await within(stream.return!(undefined), CLOSE_BOUND_MS, "the stream settling after the consumer stopped")).toMatchObject({ done: true });
    await aborted; // bounded: rejects if the fake never sees the connection closed
  });

  it("deadline mid-stream: the call ends with TIMEOUT and the upstream connection is closed", async () => {
    const { fake, clock } = rigOf(kit);
    const aborted = fake?.server.waitForAbort(fake.server.abortedResponses);
    script(upstream?.stream("hang"));
    const deadline = clockTimeout(clock, 1_000, () => new GatewayError(ErrorKind.TIMEOUT, "deadline exceeded"));
    const stream = adapter("slow").stream!(HELLO, call(deadline.signal))[Symbol.asyncIterator]();
    expect((await stream.next()).done).toBe(false);
    const rest = errorOfRest(stream);
    await clock.advance(1_000);
    const err = await within(rest, CLOSE_BOUND_MS, "the stream ending at the deadline");
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).kind).toBe(ErrorKind.TIMEOUT);
    await aborted; // bounded: rejects if the fake never sees the connection closed
  });

  if (!upstream) return;
  const wire = upstream;

  it.each(ERROR_CASES)("upstream error %s: the right kind and gRPC code, the provider's message, never the key", async (name) => {
    const { reply, message } = wire.error(name);
    script(reply);
    const err = await failureOf(adapter().complete!(HELLO, call()));
    const [kind, code] = EXPECTED[name];
    expect(err.kind).toBe(kind);
    expect(err.message).toBe(message);
    expect(err.provider).toBe(kit.provider);
    expect(err.httpStatus).toBeGreaterThanOrEqual(400);
    if (kit.secret) expect(err.message).not.toContain(kit.secret);
    const connect = toConnectError(err);
    expect(connect.code).toBe(code);
    expect(connect.findDetails(ErrorInfoSchema)[0]).toMatchObject({ reason: kindName(kind), metadata: { provider: kit.provider, http_status: String(err.httpStatus) } });
    if (name === "rate_limited") {
      expect(err.retryAfterMs).toBe(RETRY_AFTER_SECONDS * 1000);
      expect(connect.findDetails(RetryInfoSchema)[0]?.retryDelay?.seconds).toBe(BigInt(RETRY_AFTER_SECONDS));
    }
  });

  it("stream: an HTTP error before the first chunk is mapped like a unary one", async () => {
    script(wire.error("rate_limited").reply);
    const err = await failureOf(adapter().stream!(HELLO, call()));
    expect(err.kind).toBe(ErrorKind.RATE_LIMITED);
    expect(err.retryAfterMs).toBe(RETRY_AFTER_SECONDS * 1000);
  });

  it("stream: an error event mid-stream fails the call after the chunks that arrived, with the provider's message", async () => {
    script(wire.stream("error_event"));
    const seen: ModelResponseChunk[] = [];
    const err = await failureOf(adapter().stream!(HELLO, call()), seen);
    expect(contentOf(seen)).toBe("Hello");
    expect(err.kind).toBe(ErrorKind.UPSTREAM_UNAVAILABLE);
    expect(err.message).toBe(wire.streamErrorMessage);
    expect(toConnectError(err).code).toBe(Code.Unavailable);
  });

  it("stream: a connection dropped mid-stream fails with UPSTREAM_UNAVAILABLE after the chunks that arrived", async () => {
    script(wire.stream("cut"));
    const seen: ModelResponseChunk[] = [];
    const err = await failureOf(adapter().stream!(HELLO, call()), seen);
    expect(contentOf(seen)).toBe("Hello");
    expect(err.kind).toBe(ErrorKind.UPSTREAM_UNAVAILABLE);
    expect(toConnectError(err).code).toBe(Code.Unavailable);
  });

  it("stream: a stream that ends cleanly without its terminator is an error, never a finished answer", async () => {
    script(wire.stream("unterminated"));
    const seen: ModelResponseChunk[] = [];
    const err = await failureOf(adapter().stream!(HELLO, call()), seen);
    expect(err.kind).toBe(ErrorKind.UPSTREAM_UNAVAILABLE);
    expect(seen.every((c) => c.choices.every((choice) => choice.finishReason === FinishReason.UNSPECIFIED) && c.usage === undefined)).toBe(true);
  });

  it("deadline before the upstream answers: the call ends with TIMEOUT and the upstream connection is closed", async () => {
    const { fake, clock } = rigOf(kit);
    let arrived!: () => void;
    const received = new Promise<void>((resolve) => (arrived = resolve));
    const aborted = fake!.server.waitForAbort(fake!.server.abortedResponses);
    script(() => arrived()); // takes the request and never answers
    const deadline = clockTimeout(clock, 1_000, () => new GatewayError(ErrorKind.TIMEOUT, "deadline exceeded"));
    const pending = adapter().complete!(HELLO, call(deadline.signal)).then(
      () => undefined,
      (err: unknown) => err,
    );
    await within(received, CLOSE_BOUND_MS, `${kit.provider}'s fake upstream receiving the request`);
    await clock.advance(1_000);
    const err = await within(pending, CLOSE_BOUND_MS, "the call ending at the deadline");
    expect((err as GatewayError).kind).toBe(ErrorKind.TIMEOUT);
    await aborted; // bounded: rejects if the fake never sees the connection closed
  });
});

/** Kits through a real gateway: one per wire format (the first kit of each), plus every kit without an upstream. */
const REPRESENTATIVES = KITS.filter((kit, i) => !kit.upstream || KITS.findIndex((other) => other.upstream?.wire === kit.upstream!.wire) === i);
const OTHER_CALLS = [
  ["embed", "embed"],
  ["image", "generateImage"],
  ["moderate", "moderate"],
] as const;
/** Whether the provider's adapter for `purpose` has `method`, asked of a throwaway adapter while the tests are being collected. */
function offersAtAll(kit: ConformanceKit, purpose: Purpose, method: "embed" | "generateImage" | "moderate"): boolean {
  const adapter = buildAdapter(kit, kit.upstream ? "http://127.0.0.1:9" : undefined, purpose, new FakeClock());
  void adapter.close?.();
  return adapter[method] !== undefined;
}
const groupOf = (kit: ConformanceKit, purpose: Purpose) => (purpose === "chat" ? kit.provider : `${kit.provider}-${purpose}`);

describe("through the gateway", () => {
  let gateway: Gateway;
  let client: Client<typeof InferenceService>;

  beforeAll(async () => {
    const modelList = KITS.flatMap((kit) =>
      (["chat", ...OTHER_CALLS.map(([purpose]) => purpose)] as const).map((purpose) => ({
        model_name: groupOf(kit, purpose),
        provider: kit.provider,
        params: toJson(ProviderParamsSchema, create(ProviderParamsSchema, kit.params(rigOf(kit).fake?.server.url, purpose))),
      })),
    );
    // One attempt per call, so each scripted upstream answer maps to exactly one client answer.
    gateway = await startTestGateway(JSON.stringify({ model_list: modelList, router_settings: { num_retries: 0 } }));
    client = createClient(InferenceService, createGrpcTransport({ baseUrl: gateway.url }));
  });
  afterAll(async () => {
    await gateway?.close(0);
  });
  beforeEach(() => {
    for (const rig of rigs.values()) rig.fake?.server.reset();
  });

  const hello = (kit: ConformanceKit) => ({ model: groupOf(kit, "chat"), messages: [{ role: "user", content: "Hello!" }] });
  /** List price of the kit's model for `purpose`, from the provider's table (0 when it has none). */
  const costOf = (kit: ConformanceKit, usage: { promptTokens: number; completionTokens: number }, purpose: Purpose = "chat") => {
    const price = registry.get(kit.provider)!.prices?.[String(kit.params(undefined, purpose).model)];
    return price ? usage.promptTokens * price.inputCostPerToken + usage.completionTokens * price.outputCostPerToken : 0;
  };

  it.each(REPRESENTATIVES)("Complete on $provider: the normalized answer, usage and cost from the provider's price table", async (kit) => {
    if (kit.upstream) rigOf(kit).fake!.enqueue(kit.upstream.text());
    const answer = await client.complete(hello(kit));
    expect([answer.provider, answer.modelGroup]).toEqual([kit.provider, kit.provider]);
    expect(answer.choices[0]!.message!.content).toBe(kit.expect.text);
    expect(answer.choices[0]!.finishReason).toBe(FinishReason.STOP);
    if (kit.upstream) expect(answer.usage).toMatchObject(USAGE);
    expect(answer.costUsd).toBeCloseTo(costOf(kit, answer.usage!), 12);
  });

  it.each(REPRESENTATIVES)("StreamComplete on $provider: the same chunk sequence shape, usage and cost on the last chunk", async (kit) => {
    if (kit.upstream) rigOf(kit).fake!.enqueue(kit.upstream.stream("text"));
    const chunks = await collect(client.streamComplete(hello(kit)));
    expect(contentOf(chunks)).toBe(kit.expect.streamText);
    expect(chunks[0]!.choices[0]!.delta!.role).toBe("assistant");
    expect(chunks.slice(0, -1).every((c) => c.usage === undefined && c.choices[0]!.finishReason === FinishReason.UNSPECIFIED)).toBe(true);
    const last = chunks.at(-1)!;
    expect(last.choices[0]!.finishReason).toBe(FinishReason.STOP);
    if (kit.upstream) expect(last.usage).toMatchObject(STREAM_USAGE);
    expect(last.costUsd).toBeCloseTo(costOf(kit, last.usage!), 12);
    expect([last.provider, last.attempts.length]).toEqual([kit.provider, 1]);
  });

  it.each(REPRESENTATIVES.filter((kit) => offersAtAll(kit, "embed", "embed")))("Embed on $provider: vectors, usage and cost from the provider's price table", async (kit) => {
    rigOf(kit).fake?.enqueue(...(kit.upstream?.embed?.() ?? []));
    const answer = await client.embed({ model: groupOf(kit, "embed"), input: EMBED_INPUT });
    expect([answer.provider, answer.data.length]).toEqual([kit.provider, EMBED_INPUT.length]);
    expect(answer.usage!.promptTokens).toBeGreaterThan(0);
    expect(answer.costUsd).toBeCloseTo(costOf(kit, { promptTokens: answer.usage!.promptTokens, completionTokens: 0 }, "embed"), 14);
  });

  it.each(REPRESENTATIVES.filter((kit) => kit.upstream))("cancelling StreamComplete on $provider closes the upstream connection", async (kit) => {
    const fake = rigOf(kit).fake!;
    const aborted = fake.server.waitForAbort(fake.server.abortedResponses);
    fake.enqueue(kit.upstream!.stream("hang"));
    const controller = new AbortController();
    for await (const chunk of client.streamComplete(hello(kit), { signal: controller.signal })) {
      if (chunk.choices[0]?.delta?.content) break; // leaving the loop cancels the call
    }
    controller.abort();
    await aborted; // bounded: rejects if the fake never sees the connection closed
  });

  it.each(KITS)("$provider: each call type it does not offer is refused with INVALID_ARGUMENT, never sent upstream", async (kit) => {
    const requests = {
      embed: (model: string) => client.embed({ model, input: EMBED_INPUT }),
      generateImage: (model: string) => client.generateImage({ model, prompt: "a fox" }),
      moderate: (model: string) => client.moderate({ model, input: ["hello"] }),
    };
    const lacking = OTHER_CALLS.filter(([purpose, method]) => rigOf(kit).adapters.get(purpose)![method] === undefined);
    for (const [purpose, method] of lacking) {
      const err = ConnectError.from(await requests[method](groupOf(kit, purpose)).catch((e: unknown) => e));
      expect(err.code, `${method} on ${kit.provider}`).toBe(Code.InvalidArgument);
      expect(err.rawMessage).toContain(groupOf(kit, purpose));
    }
    expect(rigOf(kit).fake?.server.requests ?? []).toHaveLength(0);
  });
});

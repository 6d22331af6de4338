import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { CompletionRequestSchema, type ModelResponseChunk } from "../../gen/ts/switchyard/v1/inference_pb.js";
import { estimatePromptTokens } from "../../src/util/tokens.js";
import { runOnClock } from "../router/support.js";
import { FakeClock } from "../support/fake-clock.js";
import type { Gateway } from "../../src/server/gateway.js";
import { bearer, clients, MASTER_KEY, PROTOCOLS, startLoggedGateway } from "./support.js";

/**
 * A key's spend must include what the providers bill for its calls even
 * when no answer carries a cost: otherwise a client could read a stream's
 * text and hang up before the usage chunk, for free, past any budget.
 * The prompt of an attempt abandoned in flight is billed too.
 */

const INPUT_USD = 0.001;
const OUTPUT_USD = 0.002;
const TEXT = "one two three four five six seven eight nine ten eleven twelve";
const PROMPT = { model: "chat", messages: [{ role: "user", content: "tell me" }] };
const PROMPT_TOKENS = estimatePromptTokens(create(CompletionRequestSchema, PROMPT));

const gateways: Gateway[] = [];
afterAll(async () => {
  await Promise.all(gateways.map((g) => g.close(0)));
});

/**
 * A gateway on a real socket (the in-process transport does not carry a
 * client's hang-up to the server) with auth and one priced mock deployment
 * of "chat" (`mock` params), and a virtual key on it with a budget (spend
 * is tracked for keys with a limit).
 */
async function keyedGateway(mock: Record<string, unknown>, deployment: Record<string, unknown> = {}, clock = new FakeClock()) {
  const storeFile = join(await mkdtemp(join(tmpdir(), "sy-unbilled-")), "keys.json");
  const { gateway } = await startLoggedGateway(
    JSON.stringify({
      model_list: [
        {
          model_name: "chat",
          provider: "mock",
          params: { model: "mock-1", mock: { response: TEXT, chunk_count: 6, ...mock } },
          input_cost_per_token: INPUT_USD,
          output_cost_per_token: OUTPUT_USD,
          ...deployment,
        },
      ],
      router_settings: { num_retries: 0 },
      auth_settings: { master_key: MASTER_KEY, store_file: storeFile },
    }),
    { clock },
  );
  gateways.push(gateway);
  const { admin, inference } = clients(PROTOCOLS.gRPC!(gateway.url));
  const key = await admin.createKey({ alias: "spender", maxBudgetUsd: 1_000 }, bearer(MASTER_KEY));
  const spend = async () => (await admin.getKey({ keyId: key.keyId }, bearer(MASTER_KEY))).spendUsd;
  return { inference, as: bearer(key.key), spend };
}

const streamedText = (chunks: ModelResponseChunk[]) => chunks.map((c) => c.choices.map((choice) => choice.delta?.content ?? "").join("")).join("");

describe("spend no answer carries", () => {
  it("charges a stream that fails before its usage chunk for its prompt and the text it streamed", async () => {
    const { inference, as, spend } = await keyedGateway({ fail_stream_after_chunks: 2 });
    const received: ModelResponseChunk[] = [];
    const err = await (async () => {
      for await (const chunk of inference.streamComplete(PROMPT, as)) received.push(chunk);
    })().catch((e: unknown) => ConnectError.from(e));
    expect(err).toBeInstanceOf(ConnectError);
    const text = streamedText(received);
    expect(text.length).toBeGreaterThan(0);
    expect(received.every((c) => c.costUsd === 0)).toBe(true); // no chunk carried a cost
    expect(await spend()).toBeCloseTo(PROMPT_TOKENS * INPUT_USD + Math.ceil(text.length / 4) * OUTPUT_USD, 9);
  });

  it("charges a stream the client hangs up on before its usage chunk", async () => {
    const clock = new FakeClock();
    const { inference, as, spend } = await keyedGateway({ chunk_delay_ms: 100 }, {}, clock);
    const hangUp = new AbortController();
    const read = (async () => {
      for await (const chunk of inference.streamComplete(PROMPT, { ...as, signal: hangUp.signal })) {
        if (streamedText([chunk]).length > 0) hangUp.abort(); // read the first words, then leave
      }
    })().catch(() => undefined);
    await runOnClock(clock, read);
    // The hang-up reaches the router's stream (which then settles) on the gateway's side: keep its clock moving meanwhile.
    // It saw at most the chunks up to the hang-up: the prompt, and some but not all of the text.
    await runOnClock(clock, vi.waitFor(async () => expect(await spend()).toBeGreaterThan(PROMPT_TOKENS * INPUT_USD), { timeout: 10_000 }));
    expect(await spend()).toBeLessThan(PROMPT_TOKENS * INPUT_USD + Math.ceil(TEXT.length / 4) * OUTPUT_USD);
  });

  it("charges a finished stream exactly what its chunks carry, nothing added", async () => {
    const { inference, as, spend } = await keyedGateway({});
    const chunks: ModelResponseChunk[] = [];
    for await (const chunk of inference.streamComplete(PROMPT, as)) chunks.push(chunk);
    const billed = chunks.reduce((sum, c) => sum + c.costUsd, 0);
    expect(billed).toBeGreaterThan(0); // the mock reports usage: the real figure, not an estimate
    expect(await spend()).toBeCloseTo(billed, 9);
  });

  it("charges the prompt of an attempt that timed out in flight when the request then fails", async () => {
    const clock = new FakeClock();
    const { inference, as, spend } = await keyedGateway({ latency_ms: 5_000 }, { timeout_ms: 1_000 }, clock);
    const err = await runOnClock(clock, inference.complete(PROMPT, as).catch((e: unknown) => ConnectError.from(e))).then((r) => r.value as ConnectError);
    expect(err.code).toBe(Code.DeadlineExceeded);
    expect(await spend()).toBeCloseTo(PROMPT_TOKENS * INPUT_USD, 9);
  });

  it("charges nothing for a request the provider refused outright (no work done)", async () => {
    const { inference, as, spend } = await keyedGateway({ failure_rate: 1 });
    await expect(inference.complete(PROMPT, as)).rejects.toBeInstanceOf(ConnectError);
    expect(await spend()).toBe(0);
  });
});

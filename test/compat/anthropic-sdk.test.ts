import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Gateway } from "../../src/server/gateway.js";
import * as anthropicWire from "../support/fake-upstreams/anthropic.js";
import { openAiStream, startOpenAiFake, toolCallStreamEvents } from "../support/fake-upstreams/openai.js";
import type { ScriptedServer } from "../support/fake-upstreams/scripted-server.js";
import { startTestGateway } from "../support/gateway.js";

/**
 * The official Anthropic TypeScript SDK against a real gateway: on the
 * mock provider, and across surfaces (Anthropic SDK → an OpenAI-wire
 * deployment, OpenAI SDK → an Anthropic deployment) through fakes that
 * speak each provider's wire format.
 */
let gateway: Gateway;
let anthropic: Anthropic;
let openai: OpenAI;
let openaiFake: ScriptedServer;
let anthropicFake: ScriptedServer;

const WEATHER_TOOL = { name: "get_weather", description: "Weather for a city", input_schema: { type: "object" as const, properties: { city: { type: "string" } } } };

beforeAll(async () => {
  openaiFake = await startOpenAiFake();
  anthropicFake = await anthropicWire.startFakeAnthropic();
  gateway = await startTestGateway(
    JSON.stringify({
      model_list: [
        { model_name: "mock", provider: "mock", params: { model: "mock-1", mock: { chunk_count: 3 } } },
        { model_name: "gpt", provider: "openai", params: { model: "gpt-4o", api_base: `${openaiFake.url}/v1`, api_key: "sk-test-0123456789abcdef" } },
        { model_name: "claude", provider: "anthropic", params: { model: anthropicWire.MODEL, api_base: anthropicFake.url, api_key: "sk-ant-api03-test-000000" } },
        { model_name: "claude-limited", provider: "anthropic", params: { model: anthropicWire.MODEL, api_base: anthropicFake.url, api_key: "sk-ant-api03-test-000000" } },
      ],
      router_settings: { num_retries: 0 },
    }),
  );
  anthropic = new Anthropic({ baseURL: gateway.url, apiKey: "sk-switchyard-test", maxRetries: 0 });
  openai = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: "sk-switchyard-test", maxRetries: 0 });
});

afterAll(async () => {
  await gateway?.close(0);
  await openaiFake?.close();
  await anthropicFake?.close();
});

describe("Anthropic SDK → /v1/messages on the mock", () => {
  it("answers a unary message with system, stop_sequences and usage", async () => {
    const message = await anthropic.messages.create({
      model: "mock",
      max_tokens: 100,
      system: "be brief",
      stop_sequences: ["###"],
      messages: [{ role: "user", content: "hello there" }],
    });
    expect(message.type).toBe("message");
    expect(message.role).toBe("assistant");
    expect(message.content).toEqual([{ type: "text", text: "This is a mock response to: hello there" }]);
    expect(message.stop_reason).toBe("end_turn");
    expect(message.usage.output_tokens).toBeGreaterThan(0);
    expect(message.usage.input_tokens).toBeGreaterThan(0);
  });

  it("streams the exact event sequence and the SDK assembles the final message", async () => {
    const stream = anthropic.messages.stream({ model: "mock", max_tokens: 100, messages: [{ role: "user", content: "stream me please" }] });
    const types: string[] = [];
    stream.on("streamEvent", (event) => types.push(event.type));
    const final = await stream.finalMessage();
    expect(types).toEqual([
      "message_start",
      "content_block_start",
      "content_block_delta",
      "content_block_delta",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    expect(final.content).toEqual([{ type: "text", text: "This is a mock response to: stream me please" }]);
    expect(final.stop_reason).toBe("end_turn");
    expect(final.usage.output_tokens).toBeGreaterThan(0);
    expect(final.usage.input_tokens).toBeGreaterThan(0);
  });

  it("calls tools (unary and streamed) and takes tool_result blocks back", async () => {
    const first = await anthropic.messages.create({
      model: "mock",
      max_tokens: 100,
      tools: [WEATHER_TOOL],
      tool_choice: { type: "tool", name: "get_weather" },
      messages: [{ role: "user", content: "weather in Paris?" }],
    });
    expect(first.stop_reason).toBe("tool_use");
    const use = first.content.find((b) => b.type === "tool_use");
    expect(use).toMatchObject({ type: "tool_use", name: "get_weather", input: { input: "weather in Paris?" } });

    const streamed = await anthropic.messages
      .stream({ model: "mock", max_tokens: 100, tools: [WEATHER_TOOL], tool_choice: { type: "any" }, messages: [{ role: "user", content: "weather in Oslo?" }] })
      .finalMessage();
    expect(streamed.stop_reason).toBe("tool_use");
    expect(streamed.content).toEqual([{ type: "tool_use", id: "call_mock_get_weather", name: "get_weather", input: { input: "weather in Oslo?" } }]);

    const second = await anthropic.messages.create({
      model: "mock",
      max_tokens: 100,
      tools: [WEATHER_TOOL],
      messages: [
        { role: "user", content: "weather in Paris?" },
        { role: "assistant", content: first.content },
        { role: "user", content: [{ type: "tool_result", tool_use_id: (use as Anthropic.ToolUseBlock).id, content: "sunny, 21C" }, { type: "text", text: "thanks, summarise" }] },
      ],
    });
    expect(second.content).toEqual([{ type: "text", text: "This is a mock response to: thanks, summarise" }]);
  });

  it("accepts image blocks", async () => {
    const message = await anthropic.messages.create({
      model: "mock",
      max_tokens: 50,
      messages: [{ role: "user", content: [{ type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" } }, { type: "text", text: "describe" }] }],
    });
    expect(message.content[0]).toMatchObject({ type: "text", text: "This is a mock response to: describe" });
  });

  it("counts tokens", async () => {
    const short = await anthropic.messages.countTokens({ model: "mock", messages: [{ role: "user", content: "hi" }] });
    const long = await anthropic.messages.countTokens({ model: "mock", system: "x".repeat(400), messages: [{ role: "user", content: "hi" }], tools: [WEATHER_TOOL] });
    expect(short.input_tokens).toBeGreaterThan(0);
    expect(long.input_tokens).toBeGreaterThan(short.input_tokens + 90);
  });

  it("raises NotFoundError for an unknown model and BadRequestError for an invalid request", async () => {
    const notFound = await anthropic.messages.create({ model: "no-such-model", max_tokens: 10, messages: [{ role: "user", content: "hi" }] }).catch((e: unknown) => e);
    expect(notFound).toBeInstanceOf(Anthropic.NotFoundError);
    expect((notFound as InstanceType<typeof Anthropic.NotFoundError>).requestID).toBeTruthy();
    const bad = await anthropic.messages.create({ model: "mock", messages: [{ role: "user", content: "hi" }] } as never).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(Anthropic.BadRequestError);
    expect((bad as InstanceType<typeof Anthropic.BadRequestError>).error).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
    expect((bad as Error).message).toContain("max_tokens");
  });
});

describe("across surfaces", () => {
  it("Anthropic SDK → OpenAI-wire deployment: parallel tool calls stream back as tool_use blocks", async () => {
    openaiFake.enqueue(openAiStream(toolCallStreamEvents()));
    const final = await anthropic.messages
      .stream({ model: "gpt", max_tokens: 200, tools: [WEATHER_TOOL], messages: [{ role: "user", content: "weather and time in Paris" }] })
      .finalMessage();
    expect(final.stop_reason).toBe("tool_use");
    expect(final.content).toEqual([
      { type: "tool_use", id: "call_DdmO9pD3xa9XTPNJ32zg2hcA", name: "get_weather", input: { location: "Paris" } },
      { type: "tool_use", id: "call_ABCwU9d8S3HjH8bNgiPwq9h2", name: "get_time", input: { tz: "Europe/Paris" } },
    ]);
    expect(final.usage).toMatchObject({ input_tokens: 80, output_tokens: 30 });
    const sent = openaiFake.lastRequest.json();
    expect(sent.tools[0]).toMatchObject({ type: "function", function: { name: "get_weather", parameters: WEATHER_TOOL.input_schema } });
    expect(sent.max_tokens ?? sent.max_completion_tokens).toBe(200);
  });

  it("OpenAI SDK → Anthropic deployment: text and a tool call, unary and streamed", async () => {
    anthropicFake.enqueue(anthropicWire.messageReply({ content: [{ type: "text", text: "Bonjour!" }], usage: { input_tokens: 12, output_tokens: 6 } }));
    const unary = await openai.chat.completions.create({ model: "claude", messages: [{ role: "system", content: "be French" }, { role: "user", content: "hello" }] });
    expect(unary.choices[0]!.message.content).toBe("Bonjour!");
    expect(unary.usage).toMatchObject({ prompt_tokens: 12, completion_tokens: 6, total_tokens: 18 });
    expect(anthropicFake.lastRequest.json()).toMatchObject({ system: "be French", messages: [{ role: "user" }] });

    anthropicFake.enqueue(anthropicWire.sseReply(anthropicWire.toolStreamEvents()));
    const final = await openai.chat.completions
      .stream({ model: "claude", messages: [{ role: "user", content: "weather?" }], tools: [{ type: "function", function: { name: "get_weather", parameters: { type: "object" } } }] })
      .finalChatCompletion();
    const message = final.choices[0]!.message;
    expect(message.content).toBe("Let me check the weather.");
    const call = message.tool_calls![0]!;
    expect(call.type === "function" && call.function.name).toBe("get_weather");
    expect(call.type === "function" && JSON.parse(call.function.arguments)).toEqual({ location: "San Francisco, CA" });
    expect(final.choices[0]!.finish_reason).toBe("tool_calls");
  });

  it("an upstream 429 reaches the Anthropic SDK as RateLimitError with retry-after", async () => {
    anthropicFake.enqueue(anthropicWire.errorReply(429, "rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit", { "retry-after": "7" }));
    const err = await anthropic.messages.create({ model: "claude-limited", max_tokens: 10, messages: [{ role: "user", content: "hi" }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.RateLimitError);
    const limited = err as InstanceType<typeof Anthropic.RateLimitError>;
    expect(limited.headers?.get("retry-after")).toBe("7");
    expect(limited.error).toMatchObject({ type: "error", error: { type: "rate_limit_error" } });
  });
});

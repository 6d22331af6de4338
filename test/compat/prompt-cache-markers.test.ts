import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Gateway } from "../../src/server/gateway.js";
import * as anthropicWire from "../support/fake-upstreams/anthropic.js";
import * as bedrock from "../support/fake-upstreams/bedrock.js";
import { startOpenAiFake } from "../support/fake-upstreams/openai.js";
import type { ScriptedServer } from "../support/fake-upstreams/scripted-server.js";
import { startTestGateway } from "../support/gateway.js";

/**
 * Prompt-caching breakpoints sent through the compatible surfaces reach
 * each provider in its own wire form (Anthropic cache_control, Bedrock
 * cachePoint, OpenAI prompt_cache_key), and cache reads/writes come back
 * in usage.
 */
let gateway: Gateway;
let anthropicFake: ScriptedServer;
let openaiFake: ScriptedServer;
let bedrockFake: Awaited<ReturnType<typeof bedrock.startFakeBedrock>>;
let anthropic: Anthropic;
let openai: OpenAI;

const LONG_SYSTEM = "You are a contracts lawyer. ".repeat(50);
const TOOL = { name: "lookup", description: "Look up a clause", input_schema: { type: "object" as const, properties: {} }, cache_control: { type: "ephemeral" as const } };

function markedRequest(model: string): Anthropic.MessageCreateParamsNonStreaming {
  return {
    model,
    max_tokens: 50,
    system: [{ type: "text", text: LONG_SYSTEM, cache_control: { type: "ephemeral", ttl: "1h" } }],
    tools: [TOOL],
    messages: [{ role: "user", content: [{ type: "text", text: "the contract text", cache_control: { type: "ephemeral" } }, { type: "text", text: "summarise it" }] }],
  };
}

beforeAll(async () => {
  anthropicFake = await anthropicWire.startFakeAnthropic();
  openaiFake = await startOpenAiFake();
  bedrockFake = await bedrock.startFakeBedrock();
  gateway = await startTestGateway(
    JSON.stringify({
      model_list: [
        { model_name: "claude", provider: "anthropic", params: { model: anthropicWire.MODEL, api_base: anthropicFake.url, api_key: "sk-ant-api03-test-000000" } },
        { model_name: "gpt", provider: "openai", params: { model: "gpt-4o", api_base: `${openaiFake.url}/v1`, api_key: "sk-test-0123456789abcdef" } },
        {
          model_name: "bedrock-claude",
          provider: "bedrock",
          params: {
            model: bedrock.MODEL_ID,
            api_base: bedrockFake.url,
            region: bedrock.REGION,
            aws_access_key_id: bedrock.TEST_CREDENTIALS.accessKeyId,
            aws_secret_access_key: bedrock.TEST_CREDENTIALS.secretAccessKey,
            aws_session_token: bedrock.TEST_CREDENTIALS.sessionToken,
          },
        },
      ],
      router_settings: { num_retries: 0 },
    }),
  );
  anthropic = new Anthropic({ baseURL: gateway.url, apiKey: "sk-switchyard-test", maxRetries: 0 });
  openai = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: "sk-switchyard-test", maxRetries: 0 });
});

afterAll(async () => {
  await gateway?.close(0);
  await Promise.all([anthropicFake?.close(), openaiFake?.close(), bedrockFake?.close()]);
});

describe("cache breakpoints from /v1/messages", () => {
  it("reach Anthropic as cache_control, and cache reads/writes come back in usage", async () => {
    anthropicFake.enqueue(
      anthropicWire.messageReply({ content: [{ type: "text", text: "ok" }], usage: { input_tokens: 20, output_tokens: 2, cache_creation_input_tokens: 300, cache_read_input_tokens: 1000 } }),
    );
    const answer = await anthropic.messages.create(markedRequest("claude"));
    expect(answer.usage).toMatchObject({ input_tokens: 20, output_tokens: 2, cache_creation_input_tokens: 300, cache_read_input_tokens: 1000 });
    const sent = anthropicFake.lastRequest.json();
    expect(sent.system).toEqual([{ type: "text", text: LONG_SYSTEM, cache_control: { type: "ephemeral", ttl: "1h" } }]);
    expect(sent.tools[0].cache_control).toEqual({ type: "ephemeral" });
    expect(sent.messages[0].content).toEqual([
      { type: "text", text: "the contract text", cache_control: { type: "ephemeral" } },
      { type: "text", text: "summarise it" },
    ]);
  });

  it("reach Bedrock as cachePoint blocks after the marked system, tool and content", async () => {
    bedrockFake.enqueueSigned(bedrock.converseReply([{ text: "ok" }], "end_turn", { inputTokens: 20, outputTokens: 2, totalTokens: 1322, cacheReadInputTokens: 1000, cacheWriteInputTokens: 300 }));
    const answer = await anthropic.messages.create(markedRequest("bedrock-claude"));
    expect(answer.usage).toMatchObject({ cache_read_input_tokens: 1000, cache_creation_input_tokens: 300 });
    const sent = bedrockFake.lastRequest.json();
    expect(sent.system).toEqual([{ text: LONG_SYSTEM }, { cachePoint: { type: "default" } }]);
    expect(sent.toolConfig.tools).toEqual([
      { toolSpec: { name: "lookup", description: "Look up a clause", inputSchema: { json: { type: "object", properties: {} } } } },
      { cachePoint: { type: "default" } },
    ]);
    expect(sent.messages[0].content).toEqual([{ text: "the contract text" }, { cachePoint: { type: "default" } }, { text: "summarise it" }]);
  });
});

describe("cache hints from /v1/chat/completions", () => {
  it("pass cache_control on parts to Anthropic and prompt_cache_key to OpenAI, and report cached tokens", async () => {
    anthropicFake.enqueue(anthropicWire.messageReply({ content: [{ type: "text", text: "ok" }], usage: { input_tokens: 5, output_tokens: 1, cache_read_input_tokens: 700 } }));
    const viaChat = await openai.chat.completions.create({
      model: "claude",
      messages: [{ role: "user", content: [{ type: "text", text: "long document", cache_control: { type: "ephemeral" } } as never, { type: "text", text: "question" }] }],
    });
    expect(viaChat.usage?.prompt_tokens_details?.cached_tokens).toBe(700);
    expect(anthropicFake.lastRequest.json().messages[0].content[0]).toEqual({ type: "text", text: "long document", cache_control: { type: "ephemeral" } });

    await openai.chat.completions.create({ model: "gpt", messages: [{ role: "user", content: "hi" }], prompt_cache_key: "tenant-42" });
    expect(openaiFake.lastRequest.json().prompt_cache_key).toBe("tenant-42");
  });

  it("passes fields it does not know upstream as provider_options", async () => {
    await openai.chat.completions.create({ model: "gpt", messages: [{ role: "user", content: "hi" }], service_tier: "flex", logit_bias: { "50256": -100 } });
    expect(openaiFake.lastRequest.json()).toMatchObject({ service_tier: "flex", logit_bias: { "50256": -100 }, model: "gpt-4o" });
  });
});

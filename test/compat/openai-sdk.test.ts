import http2 from "node:http2";
import OpenAI from "openai";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminService } from "../../gen/ts/switchyard/v1/admin_pb.js";
import type { Gateway } from "../../src/server/gateway.js";
import { startTestGateway } from "../support/gateway.js";

/**
 * The official OpenAI TypeScript SDK against a real gateway on the mock
 * provider: only the base URL changes, and the SDK's own parsed objects
 * and exception classes are what we assert.
 */
let gateway: Gateway;
let openai: OpenAI;

const WEATHER_TOOL = {
  type: "function" as const,
  function: { name: "get_weather", description: "Weather for a city", parameters: { type: "object", properties: { city: { type: "string" } } } },
};

beforeAll(async () => {
  gateway = await startTestGateway(
    JSON.stringify({
      model_list: [
        { model_name: "mock", provider: "mock", params: { model: "mock-1", mock: { chunk_count: 3 } } },
        { model_name: "long", provider: "mock", params: { model: "mock-long", mock: { chunk_count: 20, chunk_delay_ms: 200 } } },
        // Two groups: a rate-limited deployment cools down, and the second call would meet that instead.
        { model_name: "limited", provider: "mock", params: { model: "mock-limited", mock: { failure_rate: 1, failure_kind: "MOCK_FAILURE_RATE_LIMITED" } } },
        { model_name: "limited-stream", provider: "mock", params: { model: "mock-limited", mock: { failure_rate: 1, failure_kind: "MOCK_FAILURE_RATE_LIMITED" } } },
      ],
      router_settings: { num_retries: 0 },
    }),
  );
  openai = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: "sk-switchyard-test", maxRetries: 0 });
});

afterAll(async () => {
  await gateway?.close(0);
});

describe("OpenAI SDK → /v1/chat/completions", () => {
  it("answers a unary completion as a ChatCompletion with usage", async () => {
    const { data, response } = await openai.chat.completions
      .create({ model: "mock", messages: [{ role: "system", content: "be brief" }, { role: "user", content: "hello there" }], seed: 7, user: "u1" })
      .withResponse();
    expect(data.object).toBe("chat.completion");
    expect(data.choices[0]!.message.role).toBe("assistant");
    expect(data.choices[0]!.message.content).toBe("This is a mock response to: hello there");
    expect(data.choices[0]!.finish_reason).toBe("stop");
    expect(data.usage!.total_tokens).toBe(data.usage!.prompt_tokens + data.usage!.completion_tokens);
    expect(data.usage!.completion_tokens).toBeGreaterThan(0);
    expect(response.headers.get("x-request-id")).toBeTruthy();
    expect(response.headers.get("x-switchyard-deployment")).toBeTruthy();
  });

  it("passes the caller's x-request-id through", async () => {
    const { response } = await openai.chat.completions
      .create({ model: "mock", messages: [{ role: "user", content: "hi" }] }, { headers: { "x-request-id": "req-abc-123" } })
      .withResponse();
    expect(response.headers.get("x-request-id")).toBe("req-abc-123");
  });

  it("streams text deltas and a usage chunk when include_usage is set", async () => {
    const stream = await openai.chat.completions.create({
      model: "mock",
      messages: [{ role: "user", content: "stream me please" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    const finishes: string[] = [];
    let usage: OpenAI.CompletionUsage | undefined | null;
    let contentChunks = 0;
    for await (const chunk of stream) {
      expect(chunk.object).toBe("chat.completion.chunk");
      for (const choice of chunk.choices) {
        if (choice.delta.content) {
          text += choice.delta.content;
          contentChunks++;
        }
        if (choice.finish_reason) finishes.push(choice.finish_reason);
      }
      if (chunk.usage) {
        expect(chunk.choices).toEqual([]);
        usage = chunk.usage;
      }
    }
    expect(text).toBe("This is a mock response to: stream me please");
    expect(contentChunks).toBe(3);
    expect(finishes).toEqual(["stop"]);
    expect(usage!.completion_tokens).toBeGreaterThan(0);
  });

  it("sends no usage chunk without include_usage", async () => {
    const stream = await openai.chat.completions.create({ model: "mock", messages: [{ role: "user", content: "hi" }], stream: true });
    const usages: unknown[] = [];
    for await (const chunk of stream) if (chunk.usage) usages.push(chunk.usage);
    expect(usages).toEqual([]);
  });

  it("returns tool calls, unary and streamed, that the SDK's stream helper assembles", async () => {
    const unary = await openai.chat.completions.create({
      model: "mock",
      messages: [{ role: "user", content: "weather in Paris?" }],
      tools: [WEATHER_TOOL],
      tool_choice: { type: "function", function: { name: "get_weather" } },
    });
    expect(unary.choices[0]!.finish_reason).toBe("tool_calls");
    const call = unary.choices[0]!.message.tool_calls![0]!;
    expect(call.type).toBe("function");
    expect(call.type === "function" && call.function.name).toBe("get_weather");
    expect(call.type === "function" && JSON.parse(call.function.arguments)).toEqual({ input: "weather in Paris?" });

    const runner = openai.chat.completions.stream({
      model: "mock",
      messages: [{ role: "user", content: "weather in Oslo?" }],
      tools: [WEATHER_TOOL],
      tool_choice: "required",
    });
    const final = await runner.finalChatCompletion();
    const streamed = final.choices[0]!.message.tool_calls![0]!;
    expect(final.choices[0]!.finish_reason).toBe("tool_calls");
    expect(streamed.type === "function" && streamed.function.name).toBe("get_weather");
    expect(streamed.type === "function" && JSON.parse(streamed.function.arguments)).toEqual({ input: "weather in Oslo?" });
  });

  it("honours response_format json_object and json_schema", async () => {
    const asObject = await openai.chat.completions.create({
      model: "mock",
      messages: [{ role: "user", content: "json please" }],
      response_format: { type: "json_object" },
    });
    expect(JSON.parse(asObject.choices[0]!.message.content!)).toEqual({ response: "This is a mock response to: json please" });
    const asSchema = await openai.chat.completions.create({
      model: "mock",
      messages: [{ role: "user", content: "schema please" }],
      response_format: { type: "json_schema", json_schema: { name: "answer", schema: { type: "object", properties: { response: { type: "string" } } } } },
    });
    expect(JSON.parse(asSchema.choices[0]!.message.content!)).toHaveProperty("response");
  });

  it("accepts images in messages", async () => {
    const answer = await openai.chat.completions.create({
      model: "mock",
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "what is in this image" },
            { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=", detail: "low" } },
          ],
        },
      ],
    });
    expect(answer.choices[0]!.message.content).toBe("This is a mock response to: what is in this image");
  });

  it("raises NotFoundError for an unknown model", async () => {
    const err = await openai.chat.completions.create({ model: "no-such-model", messages: [{ role: "user", content: "hi" }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect((err as InstanceType<typeof OpenAI.NotFoundError>).message).toContain("no-such-model");
    expect((err as InstanceType<typeof OpenAI.NotFoundError>).headers.get("x-request-id")).toBeTruthy();
  });

  it("raises BadRequestError naming the field for an invalid request", async () => {
    const err = await openai.chat.completions.create({ model: "mock", messages: [] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    const bad = err as InstanceType<typeof OpenAI.BadRequestError>;
    expect(bad.param).toBe("messages");
    expect(bad.type).toBe("invalid_request_error");
  });

  it("raises BadRequestError for a body that is not JSON", async () => {
    const res = await fetch(`${gateway.url}/v1/chat/completions`, { method: "POST", body: "{nope", headers: { "content-type": "application/json" } });
    expect(res.status).toBe(400);
    expect(res.headers.get("x-request-id")).toBeTruthy();
    expect(await res.json()).toMatchObject({ error: { type: "invalid_request_error" } });
  });

  it("raises RateLimitError with retry-after when the upstream is rate limited, unary and streaming", async () => {
    const err = await openai.chat.completions.create({ model: "limited", messages: [{ role: "user", content: "hi" }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    const limited = err as InstanceType<typeof OpenAI.RateLimitError>;
    expect(limited.headers.get("retry-after")).toBe("1");
    expect(limited.code).toBe("rate_limit_exceeded");
    const streamErr = await openai.chat.completions
      .create({ model: "limited-stream", messages: [{ role: "user", content: "hi" }], stream: true })
      .catch((e: unknown) => e);
    expect(streamErr).toBeInstanceOf(OpenAI.RateLimitError);
  });
});

describe("client going away", () => {
  it("cancels the upstream call when the SDK aborts a stream mid-way", async () => {
    const admin = createClient(AdminService, createConnectTransport({ baseUrl: gateway.url, httpVersion: "1.1" }));
    const inFlight = async () => (await admin.getRouterState({ modelGroup: "long" })).deployments.reduce((sum, d) => sum + d.inFlight, 0);
    const controller = new AbortController();
    const stream = await openai.chat.completions.create(
      { model: "long", messages: [{ role: "user", content: Array.from({ length: 30 }, (_, i) => `w${i}`).join(" ") }], stream: true },
      { signal: controller.signal },
    );
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next();
    expect(await inFlight()).toBe(1);
    controller.abort();
    await iterator.next().catch(() => undefined);
    // 20 chunks 200 ms apart would hold the slot for 4 s; the abort must free it long before.
    await expect.poll(inFlight, { timeout: 2000, interval: 20 }).toBe(0);
  });
});

describe("the same endpoints over h2c", () => {
  it("answers /v1/chat/completions over HTTP/2 prior knowledge with x-request-id", async () => {
    const session = http2.connect(gateway.url);
    try {
      const answer = await new Promise<{ status: number; requestId: string; body: string }>((resolve, reject) => {
        const req = session.request({ ":method": "POST", ":path": "/v1/chat/completions", "content-type": "application/json" });
        let status = 0;
        let requestId = "";
        let body = "";
        req.on("response", (headers) => {
          status = Number(headers[":status"]);
          requestId = String(headers["x-request-id"] ?? "");
        });
        req.setEncoding("utf8");
        req.on("data", (d: string) => (body += d));
        req.on("end", () => resolve({ status, requestId, body }));
        req.on("error", reject);
        req.end(JSON.stringify({ model: "mock", messages: [{ role: "user", content: "over h2c" }] }));
      });
      expect(answer.status).toBe(200);
      expect(answer.requestId).toBeTruthy();
      expect(JSON.parse(answer.body).choices[0].message.content).toBe("This is a mock response to: over h2c");
    } finally {
      session.close();
    }
  });
});

describe("OpenAI SDK → models, embeddings, images, moderations", () => {
  it("lists the model groups", async () => {
    const ids: string[] = [];
    for await (const model of openai.models.list()) ids.push(model.id);
    expect(ids.sort()).toEqual(["limited", "limited-stream", "long", "mock"]);
  });

  it("embeds texts (the SDK's default base64 encoding decoded back to floats)", async () => {
    const res = await openai.embeddings.create({ model: "mock", input: ["alpha", "beta"] });
    expect(res.data.map((d) => d.index)).toEqual([0, 1]);
    expect(res.data[0]!.embedding).toHaveLength(16);
    expect(res.data[0]!.embedding.every((x) => Number.isFinite(x))).toBe(true);
    const floats = await openai.embeddings.create({ model: "mock", input: "alpha", encoding_format: "float" });
    expect(floats.data[0]!.embedding[0]).toBeCloseTo(res.data[0]!.embedding[0]!, 5);
    expect(res.usage.prompt_tokens).toBeGreaterThan(0);
  });

  it("generates images", async () => {
    const res = await openai.images.generate({ model: "mock", prompt: "a red square", n: 1 });
    expect(res.data).toHaveLength(1);
    expect(res.data![0]!.b64_json ?? res.data![0]!.url).toBeTruthy();
  });

  it("moderates texts", async () => {
    const res = await openai.moderations.create({ model: "mock", input: ["have a nice day", "I will attack you"] });
    expect(res.results.map((r) => r.flagged)).toEqual([false, true]);
  });
});

describe("OpenAI SDK → /v1/responses", () => {
  it("answers unary with output_text and usage", async () => {
    const res = await openai.responses.create({ model: "mock", instructions: "be brief", input: "hello responses" });
    expect(res.object).toBe("response");
    expect(res.status).toBe("completed");
    expect(res.output_text).toBe("This is a mock response to: hello responses");
    expect(res.usage!.output_tokens).toBeGreaterThan(0);
    expect(res.usage!.total_tokens).toBe(res.usage!.input_tokens + res.usage!.output_tokens);
  });

  it("streams the event sequence the SDK assembles", async () => {
    const stream = openai.responses.stream({ model: "mock", input: [{ role: "user", content: "stream responses" }] });
    const types: string[] = [];
    stream.on("event", (e) => types.push(e.type));
    const final = await stream.finalResponse();
    expect(final.output_text).toBe("This is a mock response to: stream responses");
    expect(types).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
      "response.output_text.delta",
      "response.output_text.delta",
      "response.output_text.delta",
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.completed",
    ]);
  });

  it("returns function calls and takes function_call_output back", async () => {
    const tools = [{ type: "function" as const, name: "get_weather", parameters: { type: "object", properties: {} }, strict: false }];
    const first = await openai.responses.create({ model: "mock", input: "weather in Rome?", tools, tool_choice: "required" });
    const call = first.output.find((o) => o.type === "function_call")!;
    expect(call).toMatchObject({ type: "function_call", name: "get_weather", arguments: JSON.stringify({ input: "weather in Rome?" }) });
    const streamed = await openai.responses.stream({ model: "mock", input: "weather in Rome?", tools, tool_choice: "required" }).finalResponse();
    expect(streamed.output.find((o) => o.type === "function_call")).toMatchObject({ name: "get_weather", arguments: JSON.stringify({ input: "weather in Rome?" }) });
    const second = await openai.responses.create({
      model: "mock",
      tools,
      input: [
        { role: "user", content: "weather in Rome?" },
        call as OpenAI.Responses.ResponseFunctionToolCall,
        { type: "function_call_output", call_id: (call as OpenAI.Responses.ResponseFunctionToolCall).call_id, output: "sunny" },
        { role: "user", content: "summarise" },
      ],
    });
    expect(second.output_text).toBe("This is a mock response to: summarise");
  });

  it("refuses previous_response_id with a clear BadRequestError", async () => {
    const err = await openai.responses.create({ model: "mock", input: "hi", previous_response_id: "resp_123" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).param).toBe("previous_response_id");
    expect((err as Error).message).toContain("stateless");
  });
});

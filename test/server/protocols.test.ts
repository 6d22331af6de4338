import { createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FinishReason, InferenceService } from "../../gen/ts/switchyard/v1/inference_pb.js";
import type { Gateway } from "../../src/server/gateway.js";
import { mockConfig, startTestGateway } from "../support/gateway.js";

let gateway: Gateway;

beforeAll(async () => {
  gateway = await startTestGateway(mockConfig({ chunk_count: 5 }));
});
afterAll(() => gateway.close(0));

const transports: Record<string, () => Transport> = {
  "Connect over HTTP/1.1 (JSON)": () => createConnectTransport({ baseUrl: gateway.url, httpVersion: "1.1", useBinaryFormat: false }),
  "gRPC over HTTP/2": () => createGrpcTransport({ baseUrl: gateway.url }),
  "gRPC-Web over HTTP/1.1": () => createGrpcWebTransport({ baseUrl: gateway.url, httpVersion: "1.1" }),
  "Connect over HTTP/2 (binary)": () => createConnectTransport({ baseUrl: gateway.url, httpVersion: "2" }),
};

const request = { model: "mock", messages: [{ role: "user", content: "how are you today" }] };

describe.each(Object.entries(transports))("%s", (_name, makeTransport) => {
  it("answers Complete with a normalized ModelResponse", async () => {
    const client = createClient(InferenceService, makeTransport());
    const response = await client.complete(request);

    expect(response.choices[0]?.message?.content).toBe("This is a mock response to: how are you today");
    expect(response.choices[0]?.finishReason).toBe(FinishReason.STOP);
    expect(response.modelGroup).toBe("mock");
    expect(response.provider).toBe("mock");
    expect(response.model).toBe("mock-1");
    expect(response.deploymentId).toBe("mock/0");
    expect(response.usage?.totalTokens).toBe((response.usage?.promptTokens ?? 0) + (response.usage?.completionTokens ?? 0));
    expect(response.usage?.completionTokens).toBeGreaterThan(0);
    expect(response.attempts).toHaveLength(1);
    expect(response.timings?.completedMs).toBeGreaterThanOrEqual(response.timings?.upstreamStartMs ?? 0);
  });

  it("streams StreamComplete as several deltas and a final chunk with usage", async () => {
    const client = createClient(InferenceService, makeTransport());
    const chunks = [];
    for await (const chunk of client.streamComplete(request)) chunks.push(chunk);

    const text = chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("");
    expect(text).toBe("This is a mock response to: how are you today");
    expect(chunks.length).toBe(6); // 5 content chunks + the final one
    expect(chunks[0]?.choices[0]?.delta?.role).toBe("assistant");
    const final = chunks.at(-1)!;
    expect(final.choices[0]?.finishReason).toBe(FinishReason.STOP);
    expect(final.usage?.completionTokens).toBeGreaterThan(0);
    expect(final.attempts[0]?.deploymentId).toBe("mock/0");
    expect(chunks.slice(0, -1).every((c) => c.usage === undefined)).toBe(true);
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
  });

  it("lists the configured model groups", async () => {
    const client = createClient(InferenceService, makeTransport());
    const { models } = await client.listModels({});
    expect(models.map((m) => [m.name, m.deploymentCount, m.providers])).toEqual([["mock", 1, ["mock"]]]);
  });
});

describe("other call types over gRPC", () => {
  it("embeds deterministically: equal inputs give equal vectors", async () => {
    const client = createClient(InferenceService, createGrpcTransport({ baseUrl: gateway.url }));
    const response = await client.embed({ model: "mock", input: ["alpha", "beta", "alpha"], dimensions: 8 });
    expect(response.data.map((d) => d.index)).toEqual([0, 1, 2]);
    expect(response.data[0]?.vector).toHaveLength(8);
    expect(response.data[0]?.vector).toEqual(response.data[2]?.vector);
    expect(response.data[0]?.vector).not.toEqual(response.data[1]?.vector);
  });

  it("generates images and moderates", async () => {
    const client = createClient(InferenceService, createGrpcTransport({ baseUrl: gateway.url }));
    const images = await client.generateImage({ model: "mock", prompt: "a lighthouse", n: 2 });
    expect(images.images).toHaveLength(2);
    expect(images.images[0]?.mimeType).toBe("image/png");

    const moderation = await client.moderate({ model: "mock", input: ["have a nice day", "I will attack you"] });
    expect(moderation.results.map((r) => r.flagged)).toEqual([false, true]);
    expect(moderation.results[1]?.categories.violence).toBe(true);
  });
});

import type http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMockUpstream, listen } from "../../bench/mock-upstream/server.js";
import { completionBody, splitText, streamEventGroups, summarizeChatRequest } from "../../bench/mock-upstream/wire.js";

const TEXT = "The quick brown fox jumps over the lazy dog.";
const answer = { text: TEXT, chunkCount: 4 };

/** The JSON payloads of `data:` events, in order, with "[DONE]" kept as a string. */
function dataEvents(sseText: string): Array<Record<string, any> | "[DONE]"> {
  return sseText
    .split("\n\n")
    .filter((block) => block.startsWith("data: "))
    .map((block) => {
      const data = block.slice("data: ".length);
      return data === "[DONE]" ? "[DONE]" : JSON.parse(data);
    });
}

describe("OpenAI wire format of the mock upstream", () => {
  const req = summarizeChatRequest({
    model: "gpt-4o-mini",
    messages: [{ role: "user", content: "12345678" }],
    stream: true,
    stream_options: { include_usage: true },
  });

  it("reads model, stream flags and a prompt token estimate from the request", () => {
    expect(req).toEqual({ model: "gpt-4o-mini", stream: true, includeUsage: true, promptTokens: 2 });
  });

  it("names the missing field of a bad request", () => {
    expect(() => summarizeChatRequest({ messages: [{ role: "user", content: "x" }] })).toThrow(/^model: required/);
    expect(() => summarizeChatRequest({ model: "m", messages: [] })).toThrow(/^messages:/);
    expect(() => summarizeChatRequest("nope")).toThrow(/JSON object/);
  });

  it("writes a chat.completion object with the answer, stop reason and consistent usage", () => {
    const body = JSON.parse(completionBody("chatcmpl-1", 1700000000, { ...req, stream: false }, answer));
    expect(body).toMatchObject({
      id: "chatcmpl-1",
      object: "chat.completion",
      created: 1700000000,
      model: "gpt-4o-mini",
      choices: [{ index: 0, message: { role: "assistant", content: TEXT, refusal: null }, logprobs: null, finish_reason: "stop" }],
    });
    expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens + body.usage.completion_tokens);
    expect(body.usage.completion_tokens).toBe(Math.ceil(TEXT.length / 4));
  });

  it("splits text into contiguous, non-empty pieces", () => {
    expect(splitText("abcdefghij", 3).join("")).toBe("abcdefghij");
    expect(splitText("abcdefghij", 3).every((p) => p.length > 0)).toBe(true);
    expect(splitText("ab", 5)).toEqual(["a", "b"]);
  });

  it("streams a role chunk, the content in order, a stop chunk, a usage chunk and [DONE]", () => {
    const groups = streamEventGroups("chatcmpl-2", 1700000000, req, answer);
    expect(groups).toHaveLength(answer.chunkCount + 1);
    const events = dataEvents(groups.join(""));
    expect(events.at(-1)).toBe("[DONE]");
    const chunks = events.slice(0, -1) as Array<Record<string, any>>;
    for (const c of chunks) expect(c).toMatchObject({ id: "chatcmpl-2", object: "chat.completion.chunk", model: "gpt-4o-mini" });
    expect(chunks[0].choices[0].delta).toEqual({ role: "assistant", content: "", refusal: null });
    const content = chunks.flatMap((c) => c.choices).map((ch: any) => ch.delta.content ?? "").join("");
    expect(content).toBe(TEXT);
    const stop = chunks.at(-2)!;
    expect(stop.choices[0]).toMatchObject({ delta: {}, finish_reason: "stop" });
    const usage = chunks.at(-1)!;
    expect(usage.choices).toEqual([]);
    expect(usage.usage.total_tokens).toBe(usage.usage.prompt_tokens + usage.usage.completion_tokens);
    // With include_usage, every other chunk carries usage: null (as the API does).
    expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);
  });

  it("writes the role chunk and the first content together, so the first event is the first token", () => {
    const [first] = streamEventGroups("c", 0, req, answer);
    const events = dataEvents(first) as Array<Record<string, any>>;
    expect(events).toHaveLength(2);
    expect(events[1].choices[0].delta.content.length).toBeGreaterThan(0);
  });

  it("omits usage entirely when the request did not ask for it", () => {
    const events = dataEvents(streamEventGroups("c", 0, { ...req, includeUsage: false }, answer).join(""));
    const chunks = events.filter((e) => e !== "[DONE]") as Array<Record<string, any>>;
    expect(chunks.every((c) => !("usage" in c))).toBe(true);
    expect(chunks.every((c) => c.choices.length === 1)).toBe(true);
  });
});

describe("mock upstream server", () => {
  let server: http.Server;
  let base: string;

  beforeAll(async () => {
    server = createMockUpstream({ latencyMs: 1, chunkDelayMs: 1, answer });
    base = `http://127.0.0.1:${await listen(server, 0)}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const post = (body: unknown) => fetch(`${base}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

  it("answers a unary request with a JSON chat.completion echoing the model", async () => {
    const res = await post({ model: "m-1", messages: [{ role: "user", content: "hi" }] });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    const body = await res.json();
    expect(body.model).toBe("m-1");
    expect(body.choices[0].message.content).toBe(TEXT);
  });

  it("streams server-sent events ending in [DONE]", async () => {
    const res = await post({ model: "m-1", messages: [{ role: "user", content: "hi" }], stream: true });
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const events = dataEvents(await res.text());
    expect(events.at(-1)).toBe("[DONE]");
    expect(events.length).toBe(answer.chunkCount + 3); // role + pieces + stop + [DONE]
  });

  it("refuses a bad body with OpenAI's error shape and 400", async () => {
    const res = await post({ messages: [{ role: "user", content: "hi" }] });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: { message: "model: required", type: "invalid_request_error", param: null, code: null } });
  });

  it("answers an unknown route with 404 in the same error shape", async () => {
    const res = await fetch(`${base}/v1/embeddings`, { method: "POST", body: "{}" });
    expect(res.status).toBe(404);
    expect((await res.json()).error.code).toBe("not_found");
  });
});

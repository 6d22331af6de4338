import { describe, expect, it } from "vitest";
import { parseSse, type SseEvent } from "../../../src/providers/http/sse.js";

async function parse(pieces: Array<string | Uint8Array>): Promise<SseEvent[]> {
  async function* body() {
    for (const piece of pieces) yield piece;
  }
  const out: SseEvent[] = [];
  for await (const event of parseSse(body())) out.push(event);
  return out;
}

/** The text cut into pieces of `size` bytes, so events, lines and UTF-8 characters straddle reads. */
function bytesOf(text: string, size: number): Uint8Array[] {
  const bytes = Buffer.from(text, "utf8");
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

describe("parseSse", () => {
  it("parses events with LF, CRLF and lone CR line ends alike", async () => {
    const expected = [
      { event: "message", data: "one", id: undefined },
      { event: "delta", data: "two", id: undefined },
    ];
    expect(await parse(["data: one\n\nevent: delta\ndata: two\n\n"])).toEqual(expected);
    expect(await parse(["data: one\r\n\r\nevent: delta\r\ndata: two\r\n\r\n"])).toEqual(expected);
    expect(await parse(["data: one\r\revent: delta\rdata: two\r\r"])).toEqual(expected);
  });

  it("handles a CRLF split between two reads without seeing an extra blank line", async () => {
    expect(await parse(["data: a\r", "\ndata: b\r\n\r", "\n"])).toEqual([{ event: "message", data: "a\nb", id: undefined }]);
  });

  it("gives the same events however the bytes are split, including inside multi-byte characters", async () => {
    const text = 'event: content_block_delta\ndata: {"text":"Grüße 👋"}\n\n: keep-alive\n\ndata: [DONE]\n\n';
    const whole = await parse([text]);
    expect(whole).toEqual([
      { event: "content_block_delta", data: '{"text":"Grüße 👋"}', id: undefined },
      { event: "message", data: "[DONE]", id: undefined },
    ]);
    for (const size of [1, 2, 3, 5, 7, 64]) expect(await parse(bytesOf(text, size))).toEqual(whole);
  });

  it("joins multi-line data with newlines", async () => {
    expect(await parse(["data: {\ndata:   \"a\": 1\ndata: }\n\n"])).toEqual([{ event: "message", data: '{\n  "a": 1\n}', id: undefined }]);
  });

  it("ignores comments (keep-alives) and unknown fields, and dispatches nothing for an event without data", async () => {
    expect(await parse([": ping\n\nretry: 3000\nfoo: bar\n\nevent: ping\n\ndata: x\n\n"])).toEqual([
      { event: "message", data: "x", id: undefined },
    ]);
  });

  it("keeps the id field and strips only one leading space from values", async () => {
    expect(await parse(["id: 42\ndata:  two spaces\n\n"])).toEqual([{ event: "message", data: " two spaces", id: "42" }]);
  });

  it("treats a field without a colon as an empty value (data with no colon is an empty line of data)", async () => {
    expect(await parse(["data\ndata: x\n\n"])).toEqual([{ event: "message", data: "\nx", id: undefined }]);
  });

  it("dispatches a last event that lacks its trailing blank line", async () => {
    expect(await parse(["data: one\n\ndata: last"])).toEqual([
      { event: "message", data: "one", id: undefined },
      { event: "message", data: "last", id: undefined },
    ]);
    expect(await parse(["data: last\n"])).toEqual([{ event: "message", data: "last", id: undefined }]);
  });

  it("yields each event as soon as its blank line arrives, before the body ends", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    async function* body() {
      yield "data: first\n\n";
      await gate;
      yield "data: second\n\n";
    }
    const events = parseSse(body());
    expect((await events.next()).value).toEqual({ event: "message", data: "first", id: undefined });
    release();
    expect((await events.next()).value).toEqual({ event: "message", data: "second", id: undefined });
    expect((await events.next()).done).toBe(true);
  });
});

import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { EnvelopeSplitter, encodeEnvelope } from "../../src/server/grpc-framing.js";

/** gRPC's length-prefixed messages, however the body is cut into DATA frames. */
describe("EnvelopeSplitter", () => {
  const messages = [Buffer.from("first message"), Buffer.alloc(0), Buffer.from([0, 1, 2, 255])];
  const body = Buffer.concat(messages.map((m, i) => encodeEnvelope(i === 2 ? 1 : 0, m)));

  it("finds every message when the body arrives whole", () => {
    const splitter = new EnvelopeSplitter(1024);
    const found = splitter.push(body);
    splitter.end();
    expect(found.map((e) => Buffer.from(e.data))).toEqual(messages);
    expect(found.map((e) => e.flags)).toEqual([0, 0, 1]);
  });

  it("finds the same messages when the body arrives a byte at a time", () => {
    const splitter = new EnvelopeSplitter(1024);
    const found = [];
    for (let i = 0; i < body.length; i++) found.push(...splitter.push(body.subarray(i, i + 1)));
    splitter.end();
    expect(found.map((e) => Buffer.from(e.data))).toEqual(messages);
  });

  it("refuses a length over the limit as soon as the prefix arrives, with connect's error", () => {
    const splitter = new EnvelopeSplitter(10);
    const head = encodeEnvelope(0, Buffer.alloc(11)).subarray(0, 5);
    expect(() => splitter.push(head)).toThrow(new ConnectError("message size 11 is larger than configured readMaxBytes 10", Code.ResourceExhausted));
  });

  it("reports an unfinished message at the end of the body", () => {
    for (const cut of [3, 5, 9]) {
      const splitter = new EnvelopeSplitter(1024);
      splitter.push(encodeEnvelope(0, Buffer.from("hello")).subarray(0, cut));
      expect(() => splitter.end()).toThrow("protocol error: incomplete envelope");
    }
  });
});

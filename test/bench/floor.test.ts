import { mkdtemp, rm } from "node:fs/promises";
import type http from "node:http";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFloor, type RunningSystem } from "../../bench/lib/systems.js";
import { createMockUpstream, listen } from "../../bench/mock-upstream/server.js";

const TEXT = "alpha beta gamma delta";

/**
 * The floor is a reference row in every report, so it must really do the
 * work it stands for: call the upstream and hand back its text, unary and
 * streamed, over the same single port as Switchyard.
 */
describe("bench floor server", () => {
  let scratch: string;
  let upstream: http.Server;
  let floor: RunningSystem;

  beforeAll(async () => {
    scratch = await mkdtemp(path.join(os.tmpdir(), "floor-test-"));
    upstream = createMockUpstream({ latencyMs: 1, chunkDelayMs: 1, answer: { text: TEXT, chunkCount: 4 } });
    const upstreamUrl = `http://127.0.0.1:${await listen(upstream, 0)}`;
    floor = await startFloor({ repoRoot: path.resolve(import.meta.dirname, "../.."), scratch, logs: scratch }, upstreamUrl);
  }, 60_000);

  afterAll(async () => {
    await floor?.stop();
    await new Promise<void>((resolve) => upstream?.close(() => resolve()));
    await rm(scratch, { recursive: true, force: true });
  });

  it("answers Complete over Connect JSON with the upstream's text", async () => {
    const res = await fetch(`${floor.url}/switchyard.v1.InferenceService/Complete`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "bench", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(res.status).toBe(200);
    expect((await res.json()).choices[0].message.content).toBe(TEXT);
  });

  it("streams one chunk per upstream delta, in order, ending the Connect stream cleanly", async () => {
    const json = Buffer.from(JSON.stringify({ model: "bench", messages: [{ role: "user", content: "hi" }] }));
    const envelope = Buffer.concat([Buffer.from([0, 0, 0, 0, 0]), json]);
    envelope.writeUInt32BE(json.length, 1);
    const res = await fetch(`${floor.url}/switchyard.v1.InferenceService/StreamComplete`, {
      method: "POST",
      headers: { "content-type": "application/connect+json" },
      body: envelope,
    });
    const body = Buffer.from(await res.arrayBuffer());
    const messages: Array<{ flags: number; json: any }> = [];
    for (let at = 0; at < body.length; ) {
      const length = body.readUInt32BE(at + 1);
      messages.push({ flags: body[at], json: JSON.parse(body.subarray(at + 5, at + 5 + length).toString()) });
      at += 5 + length;
    }
    const end = messages.pop()!;
    expect(end.flags & 0x02).toBe(2);
    expect(end.json.error).toBeUndefined();
    expect(messages).toHaveLength(4);
    expect(messages.map((m) => m.json.choices[0].delta.content).join("")).toBe(TEXT);
  });
});

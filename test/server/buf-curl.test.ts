import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Gateway } from "../../src/server/gateway.js";
import { mockConfig, startTestGateway } from "../support/gateway.js";

const run = promisify(execFile);
const BUF = path.resolve(import.meta.dirname, "../../node_modules/.bin/buf");

let gateway: Gateway;
beforeAll(async () => {
  gateway = await startTestGateway(mockConfig({ chunk_count: 4 }));
});
afterAll(() => gateway.close(0));

/** `buf curl` prints each message as pretty JSON, one after another. */
function splitJsonStream(text: string): any[] {
  const out: any[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "{") {
      if (depth++ === 0) start = i;
    } else if (c === "}" && --depth === 0) out.push(JSON.parse(text.slice(start, i + 1)));
  }
  return out;
}

describe("buf curl (as a subprocess, schema from server reflection)", () => {
  it("streams StreamComplete: several chunks, then a final one with usage", async () => {
    const { stdout } = await run(BUF, [
      "curl",
      "--http2-prior-knowledge",
      "--protocol",
      "grpc",
      "-d",
      '{"model":"mock","messages":[{"role":"user","content":"hi"}]}',
      `${gateway.url}/switchyard.v1.InferenceService/StreamComplete`,
    ]);
    const chunks = splitJsonStream(stdout);
    expect(chunks.length).toBe(5); // 4 content chunks + the final one
    expect(chunks.map((c) => c.choices?.[0]?.delta?.content ?? "").join("")).toBe("This is a mock response to: hi");
    expect(chunks.at(-1).usage.totalTokens).toBeGreaterThan(0);
    expect(chunks.at(-1).choices[0].finishReason).toBe("FINISH_REASON_STOP");
  });

  it("lists the services it discovered through reflection", async () => {
    const { stdout } = await run(BUF, ["curl", "--http2-prior-knowledge", "--list-methods", gateway.url]);
    expect(stdout.split("\n")).toEqual(expect.arrayContaining(["switchyard.v1.InferenceService/Complete", "grpc.health.v1.Health/Check"]));
  });
});

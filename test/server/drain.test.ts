import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { describe, expect, it } from "vitest";
import { InferenceService } from "../../gen/ts/switchyard/v1/inference_pb.js";
import { startTestGateway } from "../support/gateway.js";

/**
 * Issue 11, fault 8: every stream in flight when the gateway starts to
 * drain finishes within the grace period, or ends with a clean
 * UNAVAILABLE; none is reset. 20 rounds of 50 streams over gRPC, Connect
 * and gRPC-Web, on short (real-time) streams so a round takes well under
 * a second.
 */
const CONFIG = JSON.stringify({
  model_list: [{ model_name: "short", provider: "mock", params: { model: "mock-1", mock: { chunk_count: 8, chunk_delay_ms: 15 } } }],
});
const EXPECTED = "This is a mock response to: drain me please";

type Outcome = "complete" | "unavailable" | string;

async function round(graceMs: number): Promise<Outcome[]> {
  const gateway = await startTestGateway(CONFIG);
  const started = await startStreams(gateway.url);
  const closed = gateway.close(graceMs);
  const outcomes = await started.finish();
  await closed;
  return outcomes;
}

/** 50 streams over four transports, each past its first chunk; finish() reads them to their end. */
async function startStreams(url: string): Promise<{ finish(): Promise<Outcome[]> }> {
  const transports: Transport[] = [
    createGrpcTransport({ baseUrl: url }),
    createConnectTransport({ baseUrl: url, httpVersion: "1.1" }),
    createGrpcWebTransport({ baseUrl: url, httpVersion: "1.1" }),
    createConnectTransport({ baseUrl: url, httpVersion: "2" }),
  ];
  const streams = await Promise.all(
    Array.from({ length: 50 }, async (_, i) => {
      const client = createClient(InferenceService, transports[i % transports.length]!);
      const it = client.streamComplete({ model: "short", messages: [{ role: "user", content: "drain me please" }] })[Symbol.asyncIterator]();
      const first = await it.next(); // in flight: the server is streaming it
      return { it, text: first.value?.choices[0]?.delta?.content ?? "" };
    }),
  );
  const finish = () => Promise.all(
    streams.map(async ({ it, text }): Promise<Outcome> => {
      try {
        for (let r = await it.next(); !r.done; r = await it.next()) text += r.value.choices[0]?.delta?.content ?? "";
        return text === EXPECTED ? "complete" : `truncated: ${text}`;
      } catch (err) {
        const e = ConnectError.from(err);
        return e.code === Code.Unavailable ? "unavailable" : `${Code[e.code]}: ${e.rawMessage}`;
      }
    }),
  );
  return { finish };
}

describe("drain", () => {
  it("finishes every in-flight stream within the grace period, 20 rounds in a row", async () => {
    for (let i = 0; i < 20; i++) {
      const outcomes = await round(5_000);
      expect(outcomes.filter((o) => o !== "complete"), `round ${i}`).toEqual([]);
    }
  }, 60_000);

  it("ends streams that outlive the grace period with UNAVAILABLE, never a reset", async () => {
    for (let i = 0; i < 5; i++) {
      const outcomes = await round(30);
      expect(outcomes.filter((o) => o !== "complete" && o !== "unavailable"), `round ${i}`).toEqual([]);
      expect(outcomes).toContain("unavailable");
    }
  }, 60_000);
});

describe("drain of the real process", () => {
  it("finishes 50 in-flight streams after SIGTERM and exits 0", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "switchyard-drain-"));
    const configFile = path.join(dir, "config.json");
    writeFileSync(configFile, CONFIG);
    const root = path.resolve(import.meta.dirname, "../..");
    // Exactly what `npm start` runs (it once ran the tsx CLI, whose signal relay cut every stream).
    const [command, ...args] = (JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { scripts: { start: string } }).scripts.start.split(" ");
    const child = spawn(command === "node" ? process.execPath : path.join(root, "node_modules/.bin", command!), [...args, "--config", configFile, "--port", "0", "--host", "127.0.0.1"], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    const logLines: string[] = [];
    child.stderr!.on("data", (d: Buffer) => logLines.push(d.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on("line", (line) => {
        logLines.push(line);
        const entry = JSON.parse(line) as { msg?: string; url?: string };
        if (entry.msg === "ready" && entry.url) resolve(entry.url.replace("localhost", "127.0.0.1"));
      });
      child.once("exit", (code) => reject(new Error(`exited early with ${code}`)));
    });
    const started = await startStreams(url);
    child.kill("SIGTERM");
    const outcomes = await started.finish();
    expect(outcomes.filter((o) => o !== "complete")).toEqual([]);
    expect(await exited, logLines.join("")).toBe(0);
  }, 30_000);
});

import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { spawn } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { createInterface } from "node:readline";
import { describe, expect, it } from "vitest";
import { HealthCheckResponse_ServingStatus as Status } from "../../gen/ts/grpc/health/v1/health_pb.js";
import { InferenceService } from "../../gen/ts/switchyard/v1/inference_pb.js";
import { FakeClock } from "../support/fake-clock.js";
import { waitUntil } from "../support/wait-until.js";
import { startTestGateway } from "../support/gateway.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
const SLOW = JSON.stringify({
  model_list: [
    { model_name: "slow", provider: "mock", params: { mock: { chunk_count: 3, chunk_delay_ms: 1_000 } } },
    { model_name: "parked", provider: "mock", params: { mock: { latency_ms: 3_600_000 } } },
  ],
});
const ask = (model: string) => ({ model, messages: [{ role: "user", content: "one two three" }] });

function connects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}


describe("graceful shutdown", () => {
  it("stops accepting, reports NOT_SERVING, and lets an in-flight stream finish", async () => {
    const clock = new FakeClock();
    const gateway = await startTestGateway(SLOW, { clock });
    const client = createClient(InferenceService, createGrpcTransport({ baseUrl: gateway.url }));
    const stream = client.streamComplete(ask("slow"))[Symbol.asyncIterator]();
    const first = await stream.next();
    expect(first.value?.choices[0]?.delta?.role).toBe("assistant");

    const closed = gateway.close(10_000);
    expect(gateway.health.get("switchyard.v1.InferenceService")).toBe(Status.NOT_SERVING);
    expect(await connects(gateway.port)).toBe(false);

    const rest = (async () => {
      const chunks = [first.value!];
      for (let r = await stream.next(); !r.done; r = await stream.next()) chunks.push(r.value);
      return chunks;
    })();
    // Chunks are 1 s apart on the fake clock; well inside the 10 s grace.
    for (let i = 0; i < 3; i++) {
      await waitUntil(() => clock.pending > 0);
      await clock.advance(1_000);
    }
    const chunks = await rest;
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("")).toBe("This is a mock response to: one two three");
    expect(chunks.at(-1)?.usage).toBeDefined();
    await closed;
  });

  it("cancels calls still running when the grace period ends, with UNAVAILABLE", async () => {
    const clock = new FakeClock();
    const gateway = await startTestGateway(SLOW, { clock });
    const client = createClient(InferenceService, createGrpcTransport({ baseUrl: gateway.url }));
    const pendingBefore = clock.pending;
    const call = client.complete(ask("parked")).catch((e: unknown) => ConnectError.from(e));
    await waitUntil(() => clock.pending === pendingBefore + 2); // the parked call and the router's attempt timeout

    const closed = gateway.close(2_000);
    await waitUntil(() => clock.pending === pendingBefore + 3); // the grace timer, beside the parked call
    await clock.advance(2_000);
    const err = (await call) as ConnectError;
    expect(err.code).toBe(Code.Unavailable);
    expect(err.rawMessage).toContain("shutting down");
    await clock.advance(1_000);
    await closed;
  });

  it("exits 0 on SIGTERM (the real CLI process)", async () => {
    const child = spawn(path.join(ROOT, "node_modules/.bin/tsx"), ["src/main.ts", "serve", "--port", "0", "--host", "127.0.0.1"], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    const lines: string[] = [];
    const url = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on("line", (line) => {
        lines.push(line);
        const entry = JSON.parse(line) as { msg?: string; url?: string };
        if (entry.msg === "ready" && entry.url) resolve(entry.url);
      });
      child.once("exit", (code) => reject(new Error(`exited early with ${code}: ${lines.join("\n")}`)));
    });

    const client = createClient(InferenceService, createGrpcTransport({ baseUrl: url }));
    const response = await client.complete(ask("mock"));
    expect(response.choices[0]?.message?.content).toContain("one two three");

    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(lines.some((l) => l.includes('"msg":"stopped"'))).toBe(true);
  });
});

/**
 * Observability overhead: `npm run bench:observability [-- --requests=N]`.
 *
 * Starts the gateway as a child process (mock provider, no upstream
 * latency) once per configuration, sends the same closed-loop unary load
 * from this process, and reads the gateway process's CPU time from
 * /proc/<pid>/stat, so the client's own CPU is not counted. Reports CPU
 * per request and the overhead against the baseline with metrics, tracing
 * and access log all off. Tracing at sampling 1 exports to a local OTLP
 * sink that accepts and discards, so protobuf encoding and the HTTP post
 * are counted.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { InferenceService } from "../gen/ts/switchyard/v1/inference_pb.js";
import { freePort } from "../test/support/emulators/process.js";

const { values } = parseArgs({ options: { requests: { type: "string", default: "20000" }, concurrency: { type: "string", default: "32" }, rounds: { type: "string", default: "2" } } });
const REQUESTS = Number(values.requests);
const CONCURRENCY = Number(values.concurrency);
const ROUNDS = Number(values.rounds);
const CLOCK_TICKS_PER_S = 100; // USER_HZ on Linux

const sink = createServer((req, res) => {
  req.resume();
  req.on("end", () => res.writeHead(200, { "content-type": "application/x-protobuf" }).end());
});
await new Promise<void>((resolve) => sink.listen(0, "127.0.0.1", resolve));
const sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;

const CONFIGS: Array<{ name: string; observability: Record<string, unknown> }> = [
  { name: "baseline: metrics, tracing and access log off", observability: { metrics_enabled: false, access_log: { enabled: false } } },
  { name: "metrics on, tracing sampling 0", observability: { access_log: { enabled: false }, tracing: { otlp_endpoint: sinkUrl, sampling_ratio: 0 } } },
  { name: "metrics on, tracing sampling 1", observability: { access_log: { enabled: false }, tracing: { otlp_endpoint: sinkUrl, sampling_ratio: 1 } } },
  { name: "metrics on, tracing sampling 0, access log on", observability: { tracing: { otlp_endpoint: sinkUrl, sampling_ratio: 0 } } },
];

const dir = mkdtempSync(path.join(tmpdir(), "switchyard-obs-bench-"));

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S; // utime, stime
}

async function measure(config: (typeof CONFIGS)[number]): Promise<number> {
  const file = path.join(dir, "config.json");
  writeFileSync(file, JSON.stringify({ model_list: [{ model_name: "bench", provider: "mock", params: { model: "mock-1" } }], observability: config.observability }));
  const port = await freePort();
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts", "serve", "--config", file, "--port", String(port), "--host", "127.0.0.1"], {
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, LOG_LEVEL: "info" },
  });
  try {
    const client = createClient(InferenceService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` }));
    const request = { model: "bench", messages: [{ role: "user", content: "How fast is the gateway?" }] };
    for (let i = 0; ; i++) {
      try {
        await client.complete(request);
        break;
      } catch (err) {
        if (i > 200) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const load = async (n: number) => {
      let left = n;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (left-- > 0) await client.complete(request);
        }),
      );
    };
    await load(Math.min(3000, REQUESTS)); // warm-up: JIT and pools
    const before = cpuSeconds(child.pid!);
    await load(REQUESTS);
    return ((cpuSeconds(child.pid!) - before) / REQUESTS) * 1e6;
  } finally {
    child.kill("SIGKILL");
  }
}

const results = new Map<string, number[]>();
for (let round = 0; round < ROUNDS; round++) {
  for (const config of CONFIGS) {
    const us = await measure(config);
    results.set(config.name, [...(results.get(config.name) ?? []), us]);
    console.error(`round ${round + 1}: ${config.name}: ${us.toFixed(1)} µs CPU/request`);
  }
}
sink.close();

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const baseline = median(results.get(CONFIGS[0]!.name)!);
console.log(`| configuration | gateway CPU per request (µs, median of ${ROUNDS}) | overhead vs baseline |`);
console.log("|---|---|---|");
for (const config of CONFIGS) {
  const us = median(results.get(config.name)!);
  console.log(`| ${config.name} | ${us.toFixed(1)} | ${(((us - baseline) / baseline) * 100).toFixed(1)} % |`);
}

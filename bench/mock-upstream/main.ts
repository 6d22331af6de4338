/**
 * Runs the mock upstream as its own process (so its CPU is sampled apart
 * from the system under test):
 *   tsx bench/mock-upstream/main.ts --port N --latency-ms 10 --chunk-delay-ms 5 --chunk-count 8
 * Prints `listening <port>` on stdout when ready.
 */
import { parseArgs } from "node:util";
import { createMockUpstream, listen } from "./server.js";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "0" },
    "latency-ms": { type: "string", default: "10" },
    "chunk-delay-ms": { type: "string", default: "5" },
    "chunk-count": { type: "string", default: "8" },
    text: { type: "string", default: "The quick brown fox jumps over the lazy dog, then naps in the warm afternoon sun." },
  },
});

const server = createMockUpstream({
  latencyMs: Number(values["latency-ms"]),
  chunkDelayMs: Number(values["chunk-delay-ms"]),
  answer: { text: values.text!, chunkCount: Number(values["chunk-count"]) },
});
const port = await listen(server, Number(values.port));
process.stdout.write(`listening ${port}\n`);
// Nothing to drain: a benchmark upstream just stops.
process.on("SIGTERM", () => process.exit(0));

/**
 * The floor under any Node gateway built like Switchyard: connect-node
 * serving InferenceService.Complete and StreamComplete over one port (h2c
 * for gRPC, HTTP/1.1 for Connect JSON, as Switchyard does), making one
 * undici request to the upstream per call and answering with its text
 * (streams: one chunk per upstream content delta, as it arrives). No router, no config, no
 * timers, no cache. What Switchyard costs above this row is its own logic;
 * this row itself is the framework's and the runtime's cost.
 *
 * With --constant it answers a fixed text without calling any upstream:
 * the most a connect-node server can do per call, the ceiling for cache hits.
 *
 *   tsx bench/floor/server.ts --port N (--upstream http://127.0.0.1:M | --constant)
 */
import { create } from "@bufbuild/protobuf";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import { parseArgs } from "node:util";
import { Pool } from "undici";
import { InferenceService, ModelResponseChunkSchema, ModelResponseSchema } from "../../gen/ts/switchyard/v1/inference_pb.js";
import { openAiBody, UPSTREAM, UPSTREAM_MODEL } from "../lib/workload.js";

const { values } = parseArgs({ options: { port: { type: "string" }, upstream: { type: "string" }, constant: { type: "boolean", default: false } } });
const pool = values.constant ? undefined : new Pool(values.upstream!, { connections: 128, keepAliveTimeout: 30_000 });
const body = openAiBody(UPSTREAM_MODEL, false);
const constantAnswer = create(ModelResponseSchema, { id: "floor", model: UPSTREAM_MODEL, choices: [{ index: 0, message: { role: "assistant", content: UPSTREAM.text } }] });

const streamBody = openAiBody(UPSTREAM_MODEL, true);

/** The content deltas of an OpenAI SSE body, as they arrive (the least parsing a streaming proxy can do). */
async function* contentDeltas(sse: AsyncIterable<Buffer>): AsyncGenerator<string> {
  let buffered = "";
  for await (const part of sse) {
    buffered += part.toString("utf8");
    let end: number;
    while ((end = buffered.indexOf("\n\n")) >= 0) {
      const event = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      if (!event.startsWith("data: ") || event === "data: [DONE]") continue;
      const chunk = JSON.parse(event.slice(6)) as { choices: Array<{ delta: { content?: string } }> };
      const content = chunk.choices[0]?.delta.content;
      if (content) yield content;
    }
  }
}

const handler = connectNodeAdapter({
  routes: (router) => {
    router.rpc(InferenceService.method.complete, async (_request, context) => {
      if (!pool) return constantAnswer;
      const res = await pool.request({ method: "POST", path: "/v1/chat/completions", headers: { "content-type": "application/json" }, body, signal: context.signal });
      const json = (await res.body.json()) as { choices: Array<{ message: { content: string } }> };
      return create(ModelResponseSchema, {
        id: "floor",
        model: UPSTREAM_MODEL,
        choices: [{ index: 0, message: { role: "assistant", content: json.choices[0].message.content } }],
      });
    });
    router.rpc(InferenceService.method.streamComplete, async function* (_request, context) {
      if (!pool) throw new Error("--constant serves Complete only");
      const res = await pool.request({ method: "POST", path: "/v1/chat/completions", headers: { "content-type": "application/json" }, body: streamBody, signal: context.signal });
      for await (const content of contentDeltas(res.body)) {
        yield create(ModelResponseChunkSchema, { id: "floor", model: UPSTREAM_MODEL, choices: [{ index: 0, delta: { content } }] });
      }
    });
  },
});

// Same single-port split as Switchyard's server: the HTTP/2 preface picks h2c, anything else HTTP/1.1.
const h1 = http.createServer(handler);
const h2 = http2.createServer(handler);
const preface = Buffer.from("PRI * HTTP/2.0");
const tcp = net.createServer((socket) => {
  socket.once("data", (first: Buffer) => {
    const isH2 = first.subarray(0, preface.length).equals(preface);
    socket.pause();
    socket.unshift(first);
    (isH2 ? h2 : h1).emit("connection", socket);
    // The HTTP/2 session reads the socket itself; an HTTP/1.1 socket must be set flowing again.
    if (!isH2) socket.resume();
  });
});
tcp.listen(Number(values.port), "127.0.0.1", () => process.stdout.write(`listening ${values.port}\n`));
process.on("SIGTERM", () => process.exit(0));

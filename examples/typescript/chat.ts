/**
 * Calls a Switchyard gateway with the generated TypeScript client
 * (connect-es over gRPC), imported by package name through package.json's
 * "exports".
 *
 *   npx tsx examples/typescript/chat.ts "Write a haiku about routers"
 *
 * SWITCHYARD_URL (default http://localhost:4000), SWITCHYARD_MODEL (default
 * "mock") and SWITCHYARD_API_KEY (sent as `authorization: Bearer ...`)
 * choose where, what and as whom.
 */
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { InferenceService } from "switchyard/v1/inference_pb";

const DEADLINE_MS = 30_000;

const transport = createGrpcTransport({ baseUrl: process.env.SWITCHYARD_URL ?? "http://localhost:4000" });
const inference = createClient(InferenceService, transport);
const callOptions = {
  timeoutMs: DEADLINE_MS,
  headers: { authorization: `Bearer ${process.env.SWITCHYARD_API_KEY ?? "sk-example"}` },
};
const prompt = process.argv.slice(2).join(" ") || "Say hello from TypeScript";
const request = { model: process.env.SWITCHYARD_MODEL ?? "mock", messages: [{ role: "user", content: prompt }] };

try {
  const reply = await inference.complete(request, callOptions);
  console.log(`Complete (${reply.provider}/${reply.model}): ${reply.choices[0]?.message?.content}`);

  process.stdout.write("StreamComplete: ");
  for await (const chunk of inference.streamComplete(request, callOptions)) {
    for (const choice of chunk.choices) process.stdout.write(choice.delta?.content ?? "");
    if (chunk.usage) process.stdout.write(`\n[${chunk.usage.totalTokens} tokens, $${chunk.costUsd.toFixed(6)}]\n`);
  }
} catch (err) {
  const error = ConnectError.from(err);
  console.error(`\n${Code[error.code]}: ${error.rawMessage}`);
  process.exitCode = 1;
}

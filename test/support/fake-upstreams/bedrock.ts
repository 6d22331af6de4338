import { Sha256 } from "@aws-crypto/sha256-js";
import { EventStreamCodec } from "@smithy/core/event-streams";
import { fromUtf8, toUtf8 } from "@smithy/core/serde";
import { SignatureV4 } from "@smithy/signature-v4";
import { createHash } from "node:crypto";
import { jsonReply, ScriptedServer, streamReply, type RecordedRequest, type Reply } from "./scripted-server.js";

/** The fixed credentials tests sign with; the fake verifies every signature against them. */
export const TEST_CREDENTIALS = {
  accessKeyId: "AKIDEXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
  sessionToken: "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN",
};
export const REGION = "us-east-1";
export const MODEL_ID = "anthropic.claude-3-5-haiku-20241022-v1:0";
export const REQUEST_ID = "5d6f3f0a-8c1d-4a43-9a3b-2c3f0b6e1f9a";

/**
 * Recomputes the request's SigV4 signature with the AWS signer from the
 * fixed credentials, exactly as AWS does from what arrived on the wire
 * (method, raw path, the headers listed in SignedHeaders, the body), and
 * checks the body hash. Returns why it is wrong, or undefined if valid.
 */
export async function signatureProblem(req: RecordedRequest): Promise<string | undefined> {
  const auth = String(req.headers.authorization ?? "");
  const match = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(auth);
  if (!match) return `malformed Authorization header: ${auth}`;
  const [, keyId, , region, service, signedHeaders] = match;
  if (keyId !== TEST_CREDENTIALS.accessKeyId) return `unknown access key ${keyId}`;
  if (region !== REGION || service !== "bedrock") return `wrong scope ${region}/${service}`;
  const amzDate = String(req.headers["x-amz-date"] ?? "");
  const date = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  if (!date) return `bad x-amz-date ${amzDate}`;
  const bodyHash = createHash("sha256").update(req.body).digest("hex");
  if (req.headers["x-amz-content-sha256"] !== bodyHash) return "x-amz-content-sha256 does not match the body";
  const headers: Record<string, string> = {};
  for (const name of signedHeaders!.split(";")) headers[name] = String(req.headers[name] ?? "");
  const host = new URL(`http://${headers.host}`);
  const signer = new SignatureV4({ service: "bedrock", region: REGION, credentials: TEST_CREDENTIALS, sha256: Sha256 });
  const expected = await signer.sign(
    { method: req.method, protocol: "http:", hostname: host.hostname, port: Number(host.port), path: req.path.split("?")[0]!, query: {}, headers, body: req.body.toString("utf8") },
    { signingDate: new Date(Date.UTC(+date[1]!, +date[2]! - 1, +date[3]!, +date[4]!, +date[5]!, +date[6]!)) },
  );
  return expected.headers.authorization === auth ? undefined : "signature mismatch";
}

/** Requests whose signature failed verification, answered 403 InvalidSignatureException like AWS. */
export const rejectedSignatures: string[] = [];

/** A reply that only runs when the request is correctly signed. */
function signed(reply: Reply): Reply {
  return async (req, res) => {
    const problem = await signatureProblem(req);
    if (problem) {
      rejectedSignatures.push(problem);
      res.writeHead(403, { "content-type": "application/json", "x-amzn-errortype": "InvalidSignatureException:http://internal.amazon.com/coral/com.amazon.coral.service/" });
      res.end(JSON.stringify({ message: `The request signature we calculated does not match the signature you provided. (${problem})` }));
      return;
    }
    await reply(req, res);
  };
}

/** Bedrock runtime fake: Converse JSON, ConverseStream binary event-stream frames, AWS error answers; every reply checks SigV4 first. */
export async function startFakeBedrock(): Promise<ScriptedServer & { enqueueSigned(...replies: Reply[]): void }> {
  const server = (await ScriptedServer.start()) as ScriptedServer & { enqueueSigned(...replies: Reply[]): void };
  server.enqueueSigned = (...replies) => void server.enqueue(...replies.map(signed));
  return server;
}

export function converseReply(content: unknown[], stopReason = "end_turn", usage: Record<string, number> = { inputTokens: 12, outputTokens: 8, totalTokens: 20 }): Reply {
  return jsonReply(200, { output: { message: { role: "assistant", content } }, stopReason, usage, metrics: { latencyMs: 412 } }, { "x-amzn-requestid": REQUEST_ID });
}

/** An AWS JSON error: the type in x-amzn-errortype, {"message"} in the body. */
export function errorReply(status: number, type: string, message: string, headers: Record<string, string> = {}): Reply {
  return jsonReply(status, { message }, { "x-amzn-errortype": `${type}:http://internal.amazon.com/coral/com.amazon.bedrock/`, "x-amzn-requestid": REQUEST_ID, ...headers });
}

const codec = new EventStreamCodec(toUtf8, fromUtf8);
const str = (value: string) => ({ type: "string" as const, value });

/** One binary event frame as ConverseStream sends it (payloads carry AWS's "p" padding field). */
export function eventFrame(eventType: string, payload: Record<string, unknown>): Uint8Array {
  return codec.encode({
    headers: { ":event-type": str(eventType), ":content-type": str("application/json"), ":message-type": str("event") },
    body: fromUtf8(JSON.stringify({ ...payload, p: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123" })),
  });
}

export function exceptionFrame(exceptionType: string, message: string): Uint8Array {
  return codec.encode({
    headers: { ":exception-type": str(exceptionType), ":content-type": str("application/json"), ":message-type": str("exception") },
    body: fromUtf8(JSON.stringify({ message })),
  });
}

export const messageStart = () => eventFrame("messageStart", { role: "assistant" });
export const textDelta = (index: number, text: string) => eventFrame("contentBlockDelta", { contentBlockIndex: index, delta: { text } });
export const toolStart = (index: number, toolUseId: string, name: string) => eventFrame("contentBlockStart", { contentBlockIndex: index, start: { toolUse: { toolUseId, name } } });
export const toolDelta = (index: number, input: string) => eventFrame("contentBlockDelta", { contentBlockIndex: index, delta: { toolUse: { input } } });
export const reasoningDelta = (index: number, text: string) => eventFrame("contentBlockDelta", { contentBlockIndex: index, delta: { reasoningContent: { text } } });
export const blockStop = (index: number) => eventFrame("contentBlockStop", { contentBlockIndex: index });
export const messageStop = (stopReason: string) => eventFrame("messageStop", { stopReason });
export const metadata = (usage: Record<string, number> = { inputTokens: 25, outputTokens: 30, totalTokens: 55 }) =>
  eventFrame("metadata", { usage, metrics: { latencyMs: 1234 } });

export function eventStreamReply(frames: Uint8Array[], ending: "end" | "cut" | "hang" = "end"): Reply {
  return streamReply({ contentType: "application/vnd.amazon.eventstream", pieces: frames, ending, headers: { "x-amzn-requestid": REQUEST_ID } });
}

export function textStreamFrames(pieces: string[]): Uint8Array[] {
  return [messageStart(), ...pieces.map((p) => textDelta(0, p)), blockStop(0), messageStop("end_turn"), metadata()];
}

export function toolStreamFrames(): Uint8Array[] {
  return [
    messageStart(),
    textDelta(0, "Let me check."),
    blockStop(0),
    toolStart(1, "tooluse_kZJMlvQmRJ6eAyJE5GIl7Q", "get_weather"),
    toolDelta(1, '{"city":'),
    toolDelta(1, ' "Seattle"}'),
    blockStop(1),
    messageStop("tool_use"),
    metadata({ inputTokens: 380, outputTokens: 52, totalTokens: 432 }),
  ];
}

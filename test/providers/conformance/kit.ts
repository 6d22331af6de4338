import type { MessageInitShape } from "@bufbuild/protobuf";
import { readFileSync } from "node:fs";
import type { ProviderParamsSchema } from "../../../gen/ts/switchyard/v1/config_pb.js";
import type { ModelResponseChunk } from "../../../gen/ts/switchyard/v1/inference_pb.js";
import type { RecordedRequest, Reply, ScriptedServer } from "../../support/fake-upstreams/scripted-server.js";

/**
 * What a provider brings to the conformance suite: how to start a fake
 * upstream speaking its wire format, how to point a deployment at it, and
 * what its scripted answers contain. One module under kits/ per provider
 * (or per family); the suite finds them by listing that folder and fails
 * for any registered provider without one.
 */
export interface ConformanceKit {
  /** The name in builtinProviders(). */
  provider: string;
  /** Features the provider declares it cannot do: the suite expects each refused with INVALID_ARGUMENT before any upstream call. */
  refuses?: ReadonlyArray<Feature>;
  /** The fake upstream and its scripts; absent for a provider with no upstream (the mock answers in-process). */
  upstream?: UpstreamKit;
  /** Deployment params for one purpose, pointing at the fake at `url` (undefined when there is no upstream). */
  params(url: string | undefined, purpose: Purpose): Params;
  /** A value that must never appear in an error message (the API key the params carry). */
  secret?: string;
  /** What the scripted answers hold, as the adapter must return it. */
  expect: Expectations;
}

export type Params = MessageInitShape<typeof ProviderParamsSchema>;
export type Feature = "tools" | "images";

/**
 * chat: the text model. embed / image / moderate: the model for that call
 * type (the chat model where the provider has no other). slow: a chat
 * deployment whose stream stalls after its first chunk on its own (the mock;
 * fakes stall when scripted to).
 */
export type Purpose = "chat" | "embed" | "image" | "moderate" | "slow";

export interface ToolCallSeen {
  id: string;
  name: string;
  arguments: string;
}

export interface Expectations {
  /** Content of the unary text answer. */
  text: string;
  /** Content of the streamed text answer, all deltas joined. */
  streamText: string;
  /** Tool calls of the unary tool answer. */
  toolCalls: ToolCallSeen[];
  /** Tool calls of the streamed tool answer, deltas reassembled. */
  streamedToolCalls: ToolCallSeen[];
  /** The JSON-mode answer's content, parsed. */
  json: unknown;
}

/** Every upstream error the suite scripts; the kit answers each in its wire's shape (status, body, headers). */
export const ERROR_CASES = [
  "bad_request",
  "unauthenticated",
  "forbidden",
  "not_found",
  "timeout",
  "too_large",
  "rate_limited",
  "server_error",
  "unavailable",
  "context_window",
] as const;
export type ErrorCase = (typeof ERROR_CASES)[number];

/** rate_limited answers carry `retry-after: RETRY_AFTER_SECONDS`. */
export const RETRY_AFTER_SECONDS = 3;

/** The headers every wire adds to an error answer of this kind: retry-after on rate_limited. */
export function errorHeaders(kind: ErrorCase): Record<string, string> {
  return kind === "rate_limited" ? { "retry-after": String(RETRY_AFTER_SECONDS) } : {};
}

/**
 * The scripted streams. text: the full transcript. cut: the first content
 * event, then the connection drops. unterminated: everything but the
 * wire's terminator, then a clean end. error_event: a content event, then
 * the wire's in-stream error. hang: the first content event, then silence.
 */
export type StreamScript = "text" | "tools" | "cut" | "unterminated" | "error_event" | "hang";

export interface UpstreamKit {
  /** The wire format's name: fixtures/<wire>/ holds its SSE (or event-stream) transcripts. */
  wire: string;
  start(): Promise<FakeUpstream>;
  /** Unary text answer: TEXT with usage USAGE. */
  text(): Reply;
  /** Unary answer calling get_weather({"location":"Paris"}). */
  toolCall(): Reply;
  /** Unary JSON-mode answer whose content is JSON_ANSWER. */
  json(): Reply;
  stream(script: StreamScript): Reply;
  /** Answers without usage, where the wire may omit it (the adapter must count it). */
  withoutUsage?: { unary?(): Reply; stream?(): Reply };
  /** The upstream error and the message the adapter must report for it. */
  error(kind: ErrorCase): { reply: Reply; message: string };
  /** The message of the error_event stream's error. */
  streamErrorMessage: string;
  /** Answers to one Embed of EMBED_INPUT, where the provider embeds. */
  embed?(): Reply[];
  image?(): Reply;
  moderate?(): Reply;
  /** Request headers that change per request (signatures, dates): recorded as "<volatile>". */
  volatileHeaders?: readonly string[];
}

/** A running fake upstream: the scripted server plus how to queue a reply on it (Bedrock's check SigV4 first). */
export interface FakeUpstream {
  server: ScriptedServer;
  enqueue(...replies: Reply[]): void;
  /** Problems the fake saw (e.g. bad signatures); must be empty at the end. */
  problems?(): string[];
}

/** The canonical answers every kit scripts. */
export const TEXT = "Hi there";
export const USAGE = { promptTokens: 12, completionTokens: 6, totalTokens: 18 };
export const STREAM_PIECES = ["Hello", " from", " upstream"];
export const STREAM_USAGE = { promptTokens: 12, completionTokens: 4, totalTokens: 16 };
export const JSON_ANSWER = { answer: 42 };
export const EMBED_INPUT = ["hello"];
export const WEATHER_CALL_ARGUMENTS = '{"location":"Paris"}';

const FIXTURES = new URL("./fixtures/", import.meta.url);

/** A recorded transcript, fixtures/<wire>/<name>. */
export function transcript(wire: string, name: string): string {
  return readFileSync(new URL(`${wire}/${name}`, FIXTURES), "utf8");
}

/** An SSE transcript split into its events, each with its blank-line terminator (LF or CRLF). */
export function sseEvents(text: string): string[] {
  return text.split(/(?<=\r\n\r\n|\n\n)/).filter((e) => e.trim() !== "");
}

/** Streamed tool-call deltas put back together per tool-call index: what a client of the gateway does. */
export function reassembleToolCalls(chunks: readonly ModelResponseChunk[]): ToolCallSeen[] {
  const calls = new Map<number, ToolCallSeen>();
  for (const chunk of chunks) {
    for (const delta of chunk.choices[0]?.delta?.toolCalls ?? []) {
      const call = calls.get(delta.index) ?? { id: "", name: "", arguments: "" };
      calls.set(delta.index, { id: call.id || delta.id, name: call.name || delta.name, arguments: call.arguments + delta.arguments });
    }
  }
  return [...calls.entries()].sort(([a], [b]) => a - b).map(([, call]) => call);
}

/** Headers that say nothing about the provider's wire (transport and client plumbing). */
const TRANSPORT_HEADERS = new Set(["host", "connection", "content-length", "transfer-encoding", "keep-alive", "user-agent"]);

/** What went over the wire, as recorded in fixtures/<provider>/<case>.request.json. */
export function wireRecord(req: RecordedRequest, volatileHeaders: readonly string[] = []): string {
  const headers = Object.fromEntries(
    Object.entries(req.headers)
      .filter(([name]) => !TRANSPORT_HEADERS.has(name))
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, value]) => [name, volatileHeaders.includes(name) ? "<volatile>" : value]),
  );
  return `${JSON.stringify({ method: req.method, path: req.path, headers, body: req.body.length > 0 ? req.json() : null }, null, 2)}\n`;
}

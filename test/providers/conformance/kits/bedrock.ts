import * as fake from "../../../support/fake-upstreams/bedrock.js";
import { jsonReply, type Reply } from "../../../support/fake-upstreams/scripted-server.js";
import { JSON_ANSWER, errorHeaders, TEXT, transcript, WEATHER_CALL_ARGUMENTS, type ConformanceKit, type ErrorCase, type StreamScript } from "../kit.js";

/**
 * AWS Bedrock runtime (Converse / ConverseStream, InvokeModel for
 * embeddings). The fake checks every SigV4 signature. Stream transcripts
 * are kept readable, one event per line ("<event-type> <json payload>",
 * "exception:<type> <json>"), and framed into the binary
 * application/vnd.amazon.eventstream encoding when replayed.
 */

/** Each error as AWS sends it: status, x-amzn-errortype, message. */
const ERRORS: Record<ErrorCase, [number, string, string]> = {
  bad_request: [400, "ValidationException", "1 validation error detected: Value at 'inferenceConfig.temperature' failed to satisfy constraint"],
  // AWS answers an unknown key with 403 UnrecognizedClientException.
  unauthenticated: [403, "UnrecognizedClientException", "The security token included in the request is invalid."],
  forbidden: [403, "AccessDeniedException", "You don't have access to the model with the specified model ID."],
  not_found: [404, "ResourceNotFoundException", "Could not resolve the foundation model from the provided model identifier."],
  timeout: [408, "ModelTimeoutException", "Model has timed out in processing the request."],
  too_large: [413, "", "Request Entity Too Large"],
  rate_limited: [429, "ThrottlingException", "Too many requests, please wait before trying again."],
  server_error: [500, "InternalServerException", "The server encountered an internal error."],
  unavailable: [503, "ServiceUnavailableException", "Bedrock is unable to process your request."],
  context_window: [400, "ValidationException", "Input is too long for requested model."],
};

/** The transcript's events as binary frames. */
function frames(name: string): Uint8Array[] {
  return transcript("bedrock", name)
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => {
      const space = line.indexOf(" ");
      const [type, payload] = [line.slice(0, space), JSON.parse(line.slice(space + 1))];
      return type.startsWith("exception:") ? fake.exceptionFrame(type.slice("exception:".length), payload.message) : fake.eventFrame(type, payload);
    });
}

/** messageStart and the first text delta. */
const FIRST_CONTENT = 2;

const STREAMS: Record<StreamScript, () => Reply> = {
  text: () => fake.eventStreamReply(frames("text.events")),
  tools: () => fake.eventStreamReply(frames("tools.events")),
  cut: () => fake.eventStreamReply(frames("text.events").slice(0, FIRST_CONTENT), "cut"),
  // messageStop is the terminator (metadata after it is optional): drop both.
  unterminated: () => fake.eventStreamReply(frames("text.events").slice(0, -2)),
  error_event: () => fake.eventStreamReply(frames("error.events")),
  hang: () => fake.eventStreamReply(frames("text.events").slice(0, FIRST_CONTENT), "hang"),
};

export const kits: ConformanceKit[] = [
  {
    provider: "bedrock",
    params: (url, purpose) => ({
      model: purpose === "embed" ? "amazon.titan-embed-text-v2:0" : fake.MODEL_ID,
      apiBase: url,
      region: fake.REGION,
      awsAccessKeyId: fake.TEST_CREDENTIALS.accessKeyId,
      awsSecretAccessKey: fake.TEST_CREDENTIALS.secretAccessKey,
      awsSessionToken: fake.TEST_CREDENTIALS.sessionToken,
    }),
    secret: fake.TEST_CREDENTIALS.secretAccessKey,
    upstream: {
      wire: "bedrock",
      async start() {
        const server = await fake.startFakeBedrock();
        const seen = fake.rejectedSignatures.length;
        return { server, enqueue: (...replies) => server.enqueueSigned(...replies), problems: () => fake.rejectedSignatures.slice(seen) };
      },
      text: () => fake.converseReply([{ text: TEXT }], "end_turn", { inputTokens: 12, outputTokens: 6, totalTokens: 18 }),
      toolCall: () =>
        fake.converseReply([{ toolUse: { toolUseId: "tooluse_2SZ9S6BjQoy9ZfiBi4ixzA", name: "get_weather", input: JSON.parse(WEATHER_CALL_ARGUMENTS) } }], "tool_use", {
          inputTokens: 12,
          outputTokens: 6,
          totalTokens: 18,
        }),
      // JSON mode is a forced tool whose input is the answer.
      json: () => fake.converseReply([{ toolUse: { toolUseId: "tooluse_JsonAnswer0000000000", name: "json_response", input: JSON_ANSWER } }], "tool_use"),
      stream: (script) => STREAMS[script](),
      withoutUsage: { stream: () => fake.eventStreamReply(frames("text.events").slice(0, -1)) },
      error(kind) {
        const [status, type, message] = ERRORS[kind];
        // A 413 comes from AWS's front door, before any service type is known.
        const reply = type ? fake.errorReply(status, type, message, errorHeaders(kind)) : jsonReply(status, { message }, { "x-amzn-requestid": fake.REQUEST_ID });
        return { reply, message: `bedrock: ${type ? `${type}: ` : ""}${message}` };
      },
      streamErrorMessage: "bedrock: ModelStreamErrorException: The model stream failed; please retry.",
      embed: () => [
        jsonReply(200, { embedding: [0.5, -0.25, 0.125], inputTextTokenCount: 1 }, { "x-amzn-bedrock-input-token-count": "1", "x-amzn-requestid": fake.REQUEST_ID }),
      ],
      // The signature and its timestamp change with every request.
      volatileHeaders: ["authorization", "x-amz-date"],
    },
    expect: {
      text: TEXT,
      streamText: "Hello from upstream",
      toolCalls: [{ id: "tooluse_2SZ9S6BjQoy9ZfiBi4ixzA", name: "get_weather", arguments: WEATHER_CALL_ARGUMENTS }],
      streamedToolCalls: [{ id: "tooluse_kZJMlvQmRJ6eAyJE5GIl7Q", name: "get_weather", arguments: '{"location": "Paris"}' }],
      json: JSON_ANSWER,
    },
  },
];

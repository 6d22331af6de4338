import { create } from "@bufbuild/protobuf";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DeploymentSchema } from "../../gen/ts/switchyard/v1/config_pb.js";
import { ErrorKind, FinishReason } from "../../gen/ts/switchyard/v1/inference_pb.js";
import { azureProvider } from "../../src/providers/azure/index.js";
import type { ProviderAdapter } from "../../src/providers/provider.js";
import {
  chatCompletion,
  chunk,
  contentDelta,
  jsonReply,
  openAiStream,
  sseEvent,
  startOpenAiFake,
  type ScriptedServer,
} from "../support/fake-upstreams/openai.js";
import { adapterFor, call, collect, completion, failure, HELLO, HELLO_INIT } from "./openai-helpers.js";

const AZURE_KEY = "0123456789abcdef0123456789abcdef";
const SAFE = { filtered: false, severity: "safe" };
const FILTER_RESULTS = { hate: SAFE, self_harm: SAFE, sexual: SAFE, violence: SAFE };

/** Azure's content-filter rejection of a prompt (400, code content_filter, innererror ResponsibleAIPolicyViolation). */
const CONTENT_FILTER_ERROR = {
  error: {
    message:
      "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. Please modify your prompt and retry. To learn more about our content filtering policies please read our documentation: https://go.microsoft.com/fwlink/?linkid=2198766",
    type: null,
    param: "prompt",
    code: "content_filter",
    status: 400,
    innererror: {
      code: "ResponsibleAIPolicyViolation",
      content_filter_result: { ...FILTER_RESULTS, violence: { filtered: true, severity: "medium" } },
    },
  },
};

let fake: ScriptedServer;
let azure: ProviderAdapter;

beforeAll(async () => {
  fake = await startOpenAiFake();
  azure = adapterFor(azureProvider, { model: "my-gpt4o", apiBase: fake.url, apiKey: AZURE_KEY, apiVersion: "2024-10-21" });
});
afterAll(async () => {
  await azure.close?.();
  await fake.close();
});
beforeEach(() => {
  fake.requests.length = 0;
});

describe("azure openai requests", () => {
  it("calls the deployment URL with api-version and the api-key header (no bearer token)", async () => {
    await azure.complete!(completion({ ...HELLO_INIT, maxTokens: 64 }), call());
    const sent = fake.lastRequest;
    expect(sent.path).toBe("/openai/deployments/my-gpt4o/chat/completions?api-version=2024-10-21");
    expect(sent.headers["api-key"]).toBe(AZURE_KEY);
    expect(sent.headers.authorization).toBeUndefined();
    expect(sent.json()).toEqual({ model: "my-gpt4o", messages: [{ role: "user", content: "Hello!" }], max_tokens: 64 });
  });

  it("addresses embeddings and image generation under the same deployment, and offers no moderation", async () => {
    await azure.embed!({ model: "t", input: ["x"] } as never, call());
    expect(fake.lastRequest.path).toBe("/openai/deployments/my-gpt4o/embeddings?api-version=2024-10-21");
    await azure.generateImage!({ model: "t", prompt: "a fox" } as never, call());
    expect(fake.lastRequest.path).toBe("/openai/deployments/my-gpt4o/images/generations?api-version=2024-10-21");
    expect(azure.moderate).toBeUndefined();
  });

  it("sends developer messages as system (the GA API version has no developer role)", async () => {
    await azure.complete!(completion({ model: "t", messages: [{ role: "developer", content: "Be brief." }, { role: "user", content: "Hi" }] }), call());
    expect(fake.lastRequest.json().messages[0]).toEqual({ role: "system", content: "Be brief." });
  });

  it("defaults api-version and accepts an Entra ID bearer token in headers instead of a key", async () => {
    const saved = process.env.AZURE_API_KEY;
    delete process.env.AZURE_API_KEY;
    try {
      const entra = adapterFor(azureProvider, { model: "dep", apiBase: fake.url, headers: { Authorization: "Bearer eyJ0eXAiOiJKV1Qi.token" } });
      await entra.complete!(HELLO, call());
      expect(fake.lastRequest.path).toBe("/openai/deployments/dep/chat/completions?api-version=2024-10-21");
      expect(fake.lastRequest.headers.authorization).toBe("Bearer eyJ0eXAiOiJKV1Qi.token");
      expect(fake.lastRequest.headers["api-key"]).toBeUndefined();
      await entra.close?.();
    } finally {
      if (saved !== undefined) process.env.AZURE_API_KEY = saved;
    }
  });

  it("reports a missing api_base and a missing credential as config problems", () => {
    const saved = process.env.AZURE_API_KEY;
    delete process.env.AZURE_API_KEY;
    try {
      const deployment = create(DeploymentSchema, { modelName: "m", provider: "azure", params: { model: "dep" } });
      expect(azureProvider.validate!(deployment)).toEqual([
        ["api_base", "is required for azure (the server's URL, e.g. https://host/v1)"],
        ["api_key", "is required for azure (or set AZURE_API_KEY)"],
      ]);
    } finally {
      if (saved !== undefined) process.env.AZURE_API_KEY = saved;
    }
  });
});

describe("azure openai answers", () => {
  it("maps a prompt blocked by the content filter (400 content_filter) to CONTENT_POLICY with Azure's message", async () => {
    fake.enqueue(jsonReply(400, CONTENT_FILTER_ERROR));
    const err = await failure(azure.complete!(HELLO, call()));
    expect(err.kind).toBe(ErrorKind.CONTENT_POLICY);
    expect(err.httpStatus).toBe(400);
    expect(err.message).toBe(`azure: ${CONTENT_FILTER_ERROR.error.message}`);
  });

  it("maps Azure's 401, DeploymentNotFound 404 and 429 with retry-after", async () => {
    fake.enqueue(
      jsonReply(401, {
        error: {
          code: "401",
          message:
            "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.",
        },
      }),
      jsonReply(404, {
        error: {
          code: "DeploymentNotFound",
          message: "The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.",
        },
      }),
      jsonReply(
        429,
        {
          error: {
            code: "429",
            message:
              "Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-10-21 have exceeded token rate limit of your current OpenAI S0 pricing tier. Please retry after 6 seconds.",
          },
        },
        { "retry-after": "6", "retry-after-ms": "6000" },
      ),
    );
    expect((await failure(azure.complete!(HELLO, call()))).kind).toBe(ErrorKind.AUTHENTICATION);
    expect((await failure(azure.complete!(HELLO, call()))).kind).toBe(ErrorKind.NOT_FOUND);
    const limited = await failure(azure.complete!(HELLO, call()));
    expect(limited.kind).toBe(ErrorKind.RATE_LIMITED);
    expect(limited.retryAfterMs).toBe(6000);
    expect(limited.message).toMatch(/exceeded token rate limit/);
  });

  it("returns finish reason CONTENT_FILTER when Azure filters the completion", async () => {
    fake.enqueue(
      jsonReply(
        200,
        chatCompletion({
          model: "gpt-4o-2024-11-20",
          prompt_filter_results: [{ prompt_index: 0, content_filter_results: FILTER_RESULTS }],
          choices: [
            {
              index: 0,
              finish_reason: "content_filter",
              message: { role: "assistant", content: null },
              content_filter_results: { ...FILTER_RESULTS, violence: { filtered: true, severity: "high" } },
            },
          ],
        }),
      ),
    );
    const answer = await azure.complete!(HELLO, call());
    expect(answer.choices[0]!.finishReason).toBe(FinishReason.CONTENT_FILTER);
    expect(answer.choices[0]!.message!.content).toBe("");
  });

  it("streams past Azure's prompt_filter_results chunk and ends with a content_filter finish and usage", async () => {
    fake.enqueue(
      openAiStream([
        sseEvent({ choices: [], created: 0, id: "", model: "", object: "", prompt_filter_results: [{ prompt_index: 0, content_filter_results: FILTER_RESULTS }] }),
        sseEvent(chunk([{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null, content_filter_results: {} }])),
        sseEvent(chunk([{ ...(contentDelta("Once upon") as object), content_filter_results: FILTER_RESULTS }])),
        sseEvent(chunk([{ index: 0, delta: {}, finish_reason: "content_filter", content_filter_results: { violence: { filtered: true, severity: "high" } } }])),
        sseEvent(chunk([], { usage: { prompt_tokens: 11, completion_tokens: 3, total_tokens: 14 } })),
        sseEvent("[DONE]"),
      ]),
    );
    const chunks = (await collect(azure.stream!(HELLO, call()))) as Array<Record<string, any>>;
    expect(fake.lastRequest.json().stream_options).toEqual({ include_usage: true });
    expect(chunks.map((c) => c.choices[0].delta.content ?? "")).toEqual(["", "Once upon", ""]);
    expect(chunks.map((c) => [c.id, c.created])).toEqual(Array(3).fill(["chatcmpl-123", "1741569952"]));
    expect(chunks.at(-1)!.choices[0].finishReason).toBe("FINISH_REASON_CONTENT_FILTER");
    expect(chunks.at(-1)!.usage).toEqual({ promptTokens: 11, completionTokens: 3, totalTokens: 14 });
  });
});

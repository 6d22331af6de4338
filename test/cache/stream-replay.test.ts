import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { FinishReason, ModelResponseChunkSchema, ModelResponseSchema } from "../../gen/ts/switchyard/v1/inference_pb.js";
import { replayAsChunks, StreamAssembler } from "../../src/cache/stream-replay.js";

const base = { id: "chatcmpl-1", created: 1700000000n, model: "gpt-x", modelGroup: "g", provider: "openai", deploymentId: "g/0" };

describe("stream assembly and replay", () => {
  it("assembles several choices and tool-call deltas split across chunks", () => {
    const assembler = new StreamAssembler();
    const chunks = [
      { choices: [{ index: 0, delta: { role: "assistant", content: "Hel" } }, { index: 1, delta: { role: "assistant" } }] },
      { choices: [{ index: 0, delta: { content: "lo" } }, { index: 1, delta: { toolCalls: [{ index: 0, id: "call_1", name: "f", arguments: '{"a"' }] } }] },
      { choices: [{ index: 1, delta: { toolCalls: [{ index: 1, id: "call_2", name: "g", arguments: "{}" }] } }] },
      { choices: [{ index: 1, delta: { toolCalls: [{ index: 0, arguments: ":1}" }] } }] },
      { choices: [{ index: 0, delta: {}, finishReason: FinishReason.STOP }, { index: 1, delta: {}, finishReason: FinishReason.TOOL_CALLS }] },
      { usage: { promptTokens: 3, completionTokens: 4, totalTokens: 7 } },
    ];
    for (const chunk of chunks) assembler.add(create(ModelResponseChunkSchema, { ...base, ...chunk }));
    const response = assembler.response()!;
    expect(response.choices.map((c) => c.message?.content)).toEqual(["Hello", ""]);
    expect(response.choices.map((c) => c.finishReason)).toEqual([FinishReason.STOP, FinishReason.TOOL_CALLS]);
    expect(response.choices[1]!.message!.toolCalls.map((t) => [t.id, t.function?.name, t.function?.arguments])).toEqual([
      ["call_1", "f", '{"a":1}'],
      ["call_2", "g", "{}"],
    ]);
    expect(response.usage?.totalTokens).toBe(7);
    expect(response.id).toBe("chatcmpl-1");
  });

  it("replaying a response and assembling the replay gives the response back", () => {
    const original = create(ModelResponseSchema, {
      ...base,
      choices: [
        { index: 0, message: { role: "assistant", content: "A fairly long answer that will be split into several replayed pieces." }, finishReason: FinishReason.STOP },
        {
          index: 1,
          message: { role: "assistant", toolCalls: [{ id: "call_9", function: { name: "lookup", arguments: '{"q":"x"}' } }] },
          finishReason: FinishReason.TOOL_CALLS,
        },
      ],
      usage: { promptTokens: 10, completionTokens: 20, totalTokens: 30 },
    });
    const chunks = [...replayAsChunks(original, { costUsd: 0, attempts: [], timings: undefined, cache: undefined })];
    expect(chunks.length).toBeGreaterThan(4);
    expect(chunks.slice(0, -1).every((c) => c.usage === undefined)).toBe(true);
    const assembler = new StreamAssembler();
    for (const chunk of chunks) assembler.add(chunk);
    expect(assembler.response()).toEqual(original);
  });
});

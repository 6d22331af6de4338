import { create } from "@bufbuild/protobuf";
import {
  FinishReason,
  ResponseFormatType,
  ToolCallSchema,
  ToolChoiceMode,
  type CompletionRequest,
  type ToolCall,
} from "../../../gen/ts/switchyard/v1/inference_pb.js";

/** The mock's deterministic reply to a request: same request, same answer. */
export interface MockAnswer {
  text: string;
  toolCalls: ToolCall[];
  finishReason: FinishReason;
}

export function lastUserText(request: CompletionRequest): string {
  for (let i = request.messages.length - 1; i >= 0; i--) {
    const message = request.messages[i]!;
    if (message.role !== "user") continue;
    if (message.content) return message.content;
    return message.parts.flatMap((p) => (p.part.case === "text" ? [p.part.value] : [])).join(" ");
  }
  return "";
}

export function mockAnswer(request: CompletionRequest, fixedResponse: string): MockAnswer {
  const forcedTool = chosenTool(request);
  if (forcedTool) {
    const toolCall = create(ToolCallSchema, {
      id: `call_mock_${forcedTool}`,
      function: { name: forcedTool, arguments: JSON.stringify({ input: lastUserText(request) }) },
    });
    return { text: "", toolCalls: [toolCall], finishReason: FinishReason.TOOL_CALLS };
  }
  const reply = fixedResponse || `This is a mock response to: ${lastUserText(request)}`;
  const type = request.responseFormat?.type;
  const text =
    type === ResponseFormatType.JSON_OBJECT || type === ResponseFormatType.JSON_SCHEMA ? JSON.stringify({ response: reply }) : reply;
  const maxTokens = request.maxTokens;
  if (maxTokens !== undefined && maxTokens > 0) {
    const words = text.split(" ");
    if (words.length > maxTokens) return { text: words.slice(0, maxTokens).join(" "), toolCalls: [], finishReason: FinishReason.LENGTH };
  }
  return { text, toolCalls: [], finishReason: FinishReason.STOP };
}

/** The tool the request forces, if any: a named function, or the first tool when calls are required. */
function chosenTool(request: CompletionRequest): string | undefined {
  const choice = request.toolChoice?.choice;
  if (choice?.case === "functionName") return choice.value;
  if (choice?.case === "mode" && choice.value === ToolChoiceMode.REQUIRED) return request.tools[0]?.function?.name;
  return undefined;
}

/** Splits text into `count` pieces on word boundaries; joined they give back the text exactly. */
export function splitIntoChunks(text: string, count: number): string[] {
  const words = text.split(/(?<= )/); // keep the trailing space with each word
  const pieces = Math.max(1, Math.min(count, words.length));
  const out: string[] = [];
  for (let i = 0; i < pieces; i++) {
    const from = Math.floor((i * words.length) / pieces);
    const to = Math.floor(((i + 1) * words.length) / pieces);
    out.push(words.slice(from, to).join(""));
  }
  return out;
}

import { TEXT, type ConformanceKit } from "../kit.js";
import { TOOL_QUESTION } from "../requests.js";

/**
 * The built-in mock answers in-process: no upstream, so only the cases
 * that need no wire apply. Its answer is params.mock.response; a forced
 * tool is called with the last user text as {"input": ...}.
 */
const toolCall = { id: "call_mock_get_weather", name: "get_weather", arguments: JSON.stringify({ input: TOOL_QUESTION }) };

export const kits: ConformanceKit[] = [
  {
    provider: "mock",
    // "slow": the first chunk at once, the next a minute later on the test's fake clock (which never gets there).
    params: (_url, purpose) => ({ model: "mock-1", mock: { response: TEXT, ...(purpose === "slow" ? { chunkDelayMs: 60_000 } : {}) } }),
    expect: { text: TEXT, streamText: TEXT, toolCalls: [toolCall], streamedToolCalls: [toolCall], json: { response: TEXT } },
  },
];

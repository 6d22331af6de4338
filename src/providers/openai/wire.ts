/**
 * OpenAI's wire payloads, typed where they enter and leave the gateway
 * (https://platform.openai.com/docs/api-reference). Only the fields the
 * gateway reads or writes are listed; the compatible family and Azure
 * speak the same shapes.
 */

export type WireRole = "system" | "developer" | "user" | "assistant" | "tool";

export type WireContentPart =
  | { type: "text"; text: string }
  | { type: "image_url"; image_url: { url: string; detail?: string } };

export interface WireToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

export interface WireMessage {
  role: WireRole;
  content: string | WireContentPart[] | null;
  name?: string;
  tool_calls?: WireToolCall[];
  tool_call_id?: string;
}

export interface WireTool {
  type: "function";
  function: { name: string; description?: string; parameters?: Record<string, unknown>; strict?: boolean };
}

export type WireToolChoice = string | { type: "function"; function: { name: string } };

export type WireResponseFormat =
  | { type: "text" }
  | { type: "json_object" }
  | { type: "json_schema"; json_schema: { name: string; description?: string; schema?: Record<string, unknown>; strict?: boolean } };

/** POST /chat/completions body. Sampling fields whose name differs per dialect are set by key. */
export interface WireChatRequest {
  model: string;
  messages: WireMessage[];
  tools?: WireTool[];
  tool_choice?: WireToolChoice;
  parallel_tool_calls?: boolean;
  response_format?: WireResponseFormat;
  temperature?: number;
  top_p?: number;
  stop?: string[];
  n?: number;
  presence_penalty?: number;
  frequency_penalty?: number;
  user?: string;
  stream?: boolean;
  stream_options?: { include_usage: boolean };
  [field: string]: unknown;
}

export interface WireUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number } | null;
  completion_tokens_details?: { reasoning_tokens?: number } | null;
}

export interface WireChatCompletion {
  id?: string;
  object?: string;
  created?: number;
  model?: string;
  system_fingerprint?: string | null;
  choices: Array<{
    index?: number;
    message?: { role?: string; content?: string | null; refusal?: string | null; tool_calls?: WireToolCall[] | null };
    finish_reason?: string | null;
  }>;
  usage?: WireUsage | null;
}

export interface WireToolCallDelta {
  index?: number;
  id?: string;
  type?: "function";
  function?: { name?: string; arguments?: string };
}

export interface WireChatChunk {
  id?: string;
  object?: string;
  created?: number;
  model?: string;
  system_fingerprint?: string | null;
  choices?: Array<{
    index?: number;
    delta?: { role?: string | null; content?: string | null; refusal?: string | null; tool_calls?: WireToolCallDelta[] | null };
    finish_reason?: string | null;
  }>;
  usage?: WireUsage | null;
}

/** The error body every status carries: {"error": {...}}. Azure adds `status` and `innererror`. */
export interface WireErrorBody {
  error?:
    | {
        message?: string;
        type?: string | null;
        code?: string | number | null;
        param?: string | null;
        innererror?: { code?: string; content_filter_result?: unknown };
      }
    | string;
  /** vLLM / FastAPI-style servers answer with a top-level message or detail instead. */
  message?: string;
  detail?: unknown;
}

export interface WireEmbeddingRequest {
  model: string;
  input: string[];
  dimensions?: number;
  user?: string;
  [field: string]: unknown;
}

export interface WireEmbeddingResponse {
  model?: string;
  data: Array<{ index?: number; embedding: number[] }>;
  usage?: { prompt_tokens?: number; total_tokens?: number } | null;
}

export interface WireImageRequest {
  model: string;
  prompt: string;
  n?: number;
  size?: string;
  quality?: string;
  style?: string;
  user?: string;
  [field: string]: unknown;
}

export interface WireImageResponse {
  created?: number;
  data: Array<{ url?: string; b64_json?: string; revised_prompt?: string }>;
  /** gpt-image-1: png (default), jpeg or webp. */
  output_format?: string;
  usage?: { input_tokens?: number; output_tokens?: number; total_tokens?: number } | null;
}

export interface WireModerationRequest {
  model: string;
  input: string[];
  [field: string]: unknown;
}

export interface WireModerationResponse {
  id?: string;
  model?: string;
  results: Array<{
    flagged?: boolean;
    categories?: Record<string, boolean | null>;
    category_scores?: Record<string, number | null>;
  }>;
}

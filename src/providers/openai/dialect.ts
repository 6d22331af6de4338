/**
 * How one OpenAI-wire upstream differs from OpenAI's own API. OpenAI,
 * Azure and every OpenAI-compatible provider share one translator; the
 * differences are these flags, not copies of the adapter.
 */
export interface WireDialect {
  /** Sends `stream_options: {include_usage: true}`; off for servers that reject unknown fields (usage is then taken from whatever chunk carries it, or counted locally). */
  streamUsage: boolean;
  /** Accepts the "developer" role; otherwise developer messages go out as "system". */
  developerRole: boolean;
  /** Accepts image parts in user messages. */
  images: boolean;
  /** Accepts tools and tool_choice. */
  tools: boolean;
  /** The wire value of tool_choice REQUIRED (Mistral calls it "any"). */
  toolChoiceRequired: string;
  /** Body field for the completion-token limit (OpenAI deprecated max_tokens for max_completion_tokens). */
  maxTokensField: "max_tokens" | "max_completion_tokens";
  /** Body field for the sampling seed (Mistral: random_seed). */
  seedField: string;
  /** Accepts the `user` end-user id. */
  userField: boolean;
}

/** OpenAI's own API, the reference every other dialect is a delta from. */
export const OPENAI_DIALECT: WireDialect = {
  streamUsage: true,
  developerRole: true,
  images: true,
  tools: true,
  toolChoiceRequired: "required",
  maxTokensField: "max_completion_tokens",
  seedField: "seed",
  userField: true,
};

/** The call types an OpenAI-wire upstream may offer. */
export type WireCall = "chat" | "embeddings" | "images" | "moderations";

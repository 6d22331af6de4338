import { openAiWireFactory } from "../openai/index.js";
import type { ProviderFactory } from "../provider.js";
import { OPENAI_COMPATIBLE_PROVIDERS } from "./providers.js";

export { OPENAI_COMPATIBLE_PROVIDERS } from "./providers.js";

/** One factory per entry of the compatible family, all backed by the shared OpenAI-wire adapter. */
export const openAiCompatibleProviders: readonly ProviderFactory[] = OPENAI_COMPATIBLE_PROVIDERS.map(openAiWireFactory);

import type { Router } from "./router.js";

/**
 * What the InferenceService calls: the Router's API. The live router
 * implements it, and so does the response cache, which decorates one.
 */
export type InferenceBackend = Pick<Router, "complete" | "stream" | "embed" | "generateImage" | "moderate" | "listModels">;

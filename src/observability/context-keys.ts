import { createContextKey } from "@connectrpc/connect";
import type { RequestObserver } from "./request-observer.js";

/** This request's id (the caller's x-request-id, or one we made), for handlers and logs. */
export const kRequestId = createContextKey<string>("", { description: "x-request-id of this request" });

/** This request's observer, handed to the router and cache through RequestContext; undefined when not observed. */
export const kRequestObserver = createContextKey<RequestObserver | undefined>(undefined, { description: "observability hooks of this request" });

import { createContextKey, type Interceptor, type StreamResponse } from "@connectrpc/connect";
import { AdminService } from "../../gen/ts/switchyard/v1/admin_pb.js";
import { InferenceService } from "../../gen/ts/switchyard/v1/inference_pb.js";
import type { UnbilledSpend } from "../router/request-context.js";
import type { Authenticator, AuthIdentity, Grant } from "./authenticator.js";

/** The caller's identity in connect's per-request context values; undefined when auth is off. */
export const authIdentityKey = createContextKey<AuthIdentity | undefined>(undefined, { description: "switchyard caller identity" });

/** Spend of the call that no response message carries (RequestContext.unbilled), settled with the call; undefined when auth is off. */
export const unbilledSpendKey = createContextKey<UnbilledSpend | undefined>(undefined, { description: "switchyard unbilled spend" });

/** Services whose calls need credentials; health and reflection stay open for load balancers and tooling. */
const GUARDED = new Set([InferenceService.typeName, AdminService.typeName]);

interface Billable {
  model?: string;
  costUsd?: number;
  usage?: { totalTokens?: number };
}

/**
 * Enforces the Authenticator on InferenceService and AdminService calls,
 * puts the identity in the context, and reports each call's cost (for
 * streams: the chunks' costs, when the stream ends, however it ends).
 */
export function authInterceptor(auth: Authenticator, onAdmit?: (procedure: string, identity: AuthIdentity | undefined) => void): Interceptor {
  return (next) => async (request) => {
    if (!GUARDED.has(request.service.typeName)) return next(request);
    const procedure = `${request.service.typeName}/${request.method.name}`;
    const unbilled: UnbilledSpend = { usd: 0 };
    request.contextValues.set(unbilledSpendKey, unbilled);
    if (!request.stream) {
      const grant = await auth.authenticate(request.header, procedure, (request.message as Billable).model);
      request.contextValues.set(authIdentityKey, grant.identity);
      onAdmit?.(procedure, grant.identity);
      let response;
      try {
        response = await next(request);
      } catch (err) {
        await grant.settle({ costUsd: unbilled.usd, tokens: 0 }); // releases the call's budget reservation
        throw err;
      }
      if (!response.stream) {
        const message = response.message as Billable;
        // Recorded before answering: a client that saw this answer spend the budget is refused on its next call.
        await grant.settle({ costUsd: (message.costUsd ?? 0) + unbilled.usd, tokens: message.usage?.totalTokens ?? 0 });
        return response;
      }
      return { ...response, message: billed(response.message, grant, unbilled) } as StreamResponse as typeof response;
    }
    // Server streaming: the one request message arrives as a stream; read it to learn the model group.
    const iterator = request.message[Symbol.asyncIterator]();
    const first = await iterator.next();
    const grant = await auth.authenticate(request.header, procedure, first.done ? undefined : (first.value as Billable).model);
    request.contextValues.set(authIdentityKey, grant.identity);
    onAdmit?.(procedure, grant.identity);
    const replayed = {
      async *[Symbol.asyncIterator]() {
        if (!first.done) yield first.value;
        for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
      },
    };
    let response;
    try {
      response = await next({ ...request, message: replayed } as typeof request);
    } catch (err) {
      await grant.settle({ costUsd: unbilled.usd, tokens: 0 });
      throw err;
    }
    if (!response.stream) return response;
    return { ...response, message: billed(response.message, grant, unbilled) } as typeof response;
  };
}

/**
 * The stream, passing chunks through, settling the summed cost once when it
 * finishes (before the end reaches the client), fails or is abandoned; with
 * what the router added to `unbilled` by then (a stream cut before its
 * usage chunk: so an abandoned stream is settled after the inner one has
 * been closed).
 */
function billed<T>(messages: AsyncIterable<T>, grant: Grant, unbilled: UnbilledSpend): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<T> {
      const inner = messages[Symbol.asyncIterator]();
      let costUsd = 0;
      let tokens = 0;
      const settle = () => grant.settle({ costUsd: costUsd + unbilled.usd, tokens });
      return {
        next: () =>
          inner.next().then(
            async (result) => {
              if (result.done) await settle();
              else {
                const chunk = result.value as Billable;
                costUsd += chunk.costUsd ?? 0;
                tokens += chunk.usage?.totalTokens ?? 0;
              }
              return result;
            },
            async (err: unknown) => {
              await settle();
              throw err;
            },
          ),
        return: async (value?: unknown) => {
          try {
            return inner.return ? await inner.return(value) : { done: true as const, value: value as T };
          } finally {
            void settle(); // not awaited: the client is gone, nothing waits on its answer
          }
        },
        throw: (err?: unknown) => {
          void settle();
          return inner.throw ? inner.throw(err) : Promise.reject(err);
        },
      };
    },
  };
}

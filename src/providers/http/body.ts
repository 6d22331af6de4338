import { ErrorKind, GatewayError } from "../../errors/gateway-error.js";
import { redactSecrets } from "../../util/redact.js";
import type { UpstreamClient, UpstreamResponse } from "./upstream-client.js";

/** A 2xx body parsed as JSON; anything unparseable is the provider's fault (BAD_RESPONSE). */
export async function readJsonBody(client: UpstreamClient, res: UpstreamResponse, signal: AbortSignal, secrets: readonly string[] = []): Promise<unknown> {
  const text = await client.text(res, signal);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new GatewayError(ErrorKind.BAD_RESPONSE, `${client.provider}: answer is not JSON (${redactSecrets(text.slice(0, 120), secrets)})`, {
      provider: client.provider,
      httpStatus: res.status,
      cause: err,
    });
  }
}

/**
 * The body's bytes as they arrive, with a connection dropped mid-body
 * mapped to a GatewayError. Stopping the iteration early destroys the
 * body, which aborts the upstream request.
 */
export async function* bodyChunks(client: UpstreamClient, res: UpstreamResponse, signal: AbortSignal): AsyncGenerator<Uint8Array> {
  try {
    for await (const chunk of res.body) yield chunk as Uint8Array;
  } catch (err) {
    throw client.networkError(err, signal);
  }
}

/** A stream that ended (or was cut) before the provider's terminal event: never a truncated success. */
export function streamBroken(provider: string, detail: string): GatewayError {
  return new GatewayError(ErrorKind.UPSTREAM_UNAVAILABLE, `${provider}: stream broken: ${detail}`, { provider });
}

/** A stream event we cannot parse. */
export function malformedEvent(provider: string, detail: string, cause?: unknown): GatewayError {
  return new GatewayError(ErrorKind.BAD_RESPONSE, `${provider}: malformed stream event: ${detail}`, { provider, cause });
}

/** Parses one event's JSON payload, mapping failures to malformedEvent. */
export function parseEventJson(provider: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw malformedEvent(provider, text.slice(0, 120), err);
  }
}

/**
 * Request headers and the secrets to mask, built the same way for every
 * adapter.
 *
 * Precedence (one rule for every provider):
 *   1. `params.headers` from the config are sent as given (names
 *      lower-cased, since HTTP names are case-insensitive and two spellings
 *      of one name would otherwise both go out). They may add any header
 *      and set any header the adapter does not own.
 *   2. Headers the adapter owns for auth and protocol (the credential
 *      header: authorization, x-api-key, api-key, x-goog-api-key; the
 *      protocol headers: content-type, accept, anthropic-version, ...)
 *      replace a configured header of the same name whenever the adapter
 *      sends them. A config header can therefore never swap the
 *      credential or the body's media type. An owned header the adapter
 *      does not send (no key configured) may come from config: that is how
 *      an Azure deployment authenticates with an Entra ID bearer token.
 *   3. Reserved names never come from config: the transport's (host,
 *      content-length, transfer-encoding, connection) and any the adapter
 *      adds after building (Bedrock's SigV4 headers), so a config header
 *      cannot break framing or signing.
 */

/** Names the HTTP client derives from the base URL and the body. */
const TRANSPORT_HEADERS = ["host", "content-length", "transfer-encoding", "connection"];

/** Header names whose values are credentials (keys, tokens, cookies, signatures). */
const CREDENTIAL_HEADER = /authorization|auth|key|token|secret|password|cookie|credential|signature/i;

/**
 * The headers to send: configured ones, then the adapter's owned ones on
 * top; an owned header with no value (undefined or "") is not sent.
 */
export function upstreamHeaders(
  configured: Readonly<Record<string, string>> | undefined,
  owned: Readonly<Record<string, string | undefined>>,
  reserved: readonly string[] = [],
): Record<string, string> {
  const blocked = new Set([...TRANSPORT_HEADERS, ...reserved]);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(configured ?? {})) {
    const lower = name.toLowerCase();
    if (!blocked.has(lower)) headers[lower] = value;
  }
  for (const [name, value] of Object.entries(owned)) {
    if (value) headers[name.toLowerCase()] = value;
  }
  return headers;
}

/**
 * Every value to mask in error and log text: the deployment's configured
 * credentials, and the value of every credential-looking header (a
 * bearer token's token part too, since providers echo it without the
 * scheme).
 */
export function secretsOf(credentials: ReadonlyArray<string | undefined>, headers: Readonly<Record<string, string>>): string[] {
  const fromHeaders = Object.entries(headers)
    .filter(([name]) => CREDENTIAL_HEADER.test(name))
    .flatMap(([, value]) => [value, value.replace(/^Bearer\s+/i, "")]);
  return [...new Set([...credentials, ...fromHeaders].filter((s): s is string => !!s))];
}


/**
 * Provider error messages sometimes echo the credential they rejected
 * ("Incorrect API key provided: sk-abc..."). Anything shaped like a key or
 * bearer token is masked before it reaches a log line or a client.
 */
const SECRET_PATTERNS: RegExp[] = [
  /\b(?:sk|pk|rk)-[A-Za-z0-9_-]{8,}/g, // OpenAI / Anthropic style keys
  /\bAKIA[0-9A-Z]{12,}/g, // AWS access key ids
  /\bAIza[0-9A-Za-z_-]{20,}/g, // Google API keys
  /(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi,
  /((?:api[_-]?key|key|token|secret|password)["']?\s*[:=]\s*["']?)[^\s"',&]{6,}/gi,
];

export function redactSecrets(text: string, knownSecrets: readonly string[] = []): string {
  let out = text;
  for (const secret of knownSecrets) {
    if (secret.length >= 4) out = out.split(secret).join("[REDACTED]");
  }
  for (const pattern of SECRET_PATTERNS) {
    out = out.replace(pattern, (match, prefix?: string) =>
      typeof prefix === "string" && match.startsWith(prefix) && prefix.length < match.length ? `${prefix}[REDACTED]` : "[REDACTED]",
    );
  }
  return out;
}

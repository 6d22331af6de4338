import { pino, type Logger } from "pino";

export type { Logger };

/**
 * Structured JSON logs (pino: fast, async-friendly, the Node standard).
 * Secrets never reach it: errors are logged after redaction, and request
 * bodies are not logged at all.
 */
export function createLogger(level = process.env.LOG_LEVEL ?? "info"): Logger {
  return pino({
    level,
    base: { service: "switchyard" },
    redact: { paths: ["*.api_key", "*.apiKey", "*.authorization", "*.password"], censor: "[REDACTED]" },
  });
}

export const silentLogger: Logger = pino({ level: "silent" });

/**
 * Bounds on how much of a caller's value an error message repeats: a 1 MB
 * model name must not come back as a multi-megabyte error body (or log
 * line). Values are quoted and cut; whole messages are cut as a backstop.
 */
export const MAX_SHOWN_VALUE_CHARS = 64;
export const MAX_ERROR_MESSAGE_CHARS = 1024;

/** A caller's value for an error message: JSON-quoted, at most MAX_SHOWN_VALUE_CHARS of it. */
export function shown(value: string): string {
  if (value.length <= MAX_SHOWN_VALUE_CHARS) return JSON.stringify(value);
  return `${JSON.stringify(value.slice(0, MAX_SHOWN_VALUE_CHARS))}… (${value.length} chars)`;
}

/** Text cut to `max` characters, saying how much was left out. */
export function capped(text: string, max = MAX_ERROR_MESSAGE_CHARS): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}… (${text.length - max} more chars)`;
}

/** One Server-Sent Event. `event` defaults to "message" as the spec says. */
export interface SseEvent {
  event: string;
  data: string;
  id?: string;
}

/**
 * Parses a text/event-stream byte stream into events as bytes arrive
 * (no buffering of the whole body). Handles CRLF/LF/CR line ends,
 * multi-line data, comments and a missing trailing blank line.
 */
export async function* parseSse(body: AsyncIterable<Uint8Array | string>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  let buffer = "";
  let event = "";
  let data: string[] = [];
  let id: string | undefined;

  const dispatch = (): SseEvent | undefined => {
    if (data.length === 0) {
      event = "";
      return undefined;
    }
    const out: SseEvent = { event: event || "message", data: data.join("\n"), id };
    event = "";
    data = [];
    return out;
  };

  for await (const chunk of body) {
    buffer += typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = buffer.search(/\r\n|\r|\n/)) !== -1) {
      // A lone CR at the end may be the first half of CRLF: wait for the next chunk.
      if (buffer[newline] === "\r" && newline === buffer.length - 1) break;
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + (buffer.startsWith("\r\n", newline) ? 2 : 1));
      if (line === "") {
        const ev = dispatch();
        if (ev) yield ev;
        continue;
      }
      if (line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon === -1 ? line : line.slice(0, colon);
      let value = colon === -1 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "event") event = value;
      else if (field === "data") data.push(value);
      else if (field === "id") id = value;
    }
  }
  buffer += decoder.decode();
  if (buffer !== "" && !buffer.startsWith(":")) {
    const colon = buffer.indexOf(":");
    if (colon !== -1 && buffer.slice(0, colon) === "data") data.push(buffer.slice(colon + 1).replace(/^ /, ""));
  }
  const last = dispatch();
  if (last) yield last;
}

import { Code, ConnectError } from "@connectrpc/connect";

/** gRPC's length-prefixed message: 1 flag byte (bit 0: compressed), 4 bytes big-endian length, then the message. */
export const ENVELOPE_HEADER_BYTES = 5;
export const COMPRESSED_FLAG = 0b1;

/** One length-prefixed message of a request body. */
export interface Envelope {
  flags: number;
  data: Uint8Array;
}

/**
 * Splits a request body, arriving in DATA frames of any size, into its
 * length-prefixed messages. A length over `readMaxBytes` fails as soon as
 * its prefix arrives, before the message is buffered; the errors are the
 * ones connect's envelope reader raises, so the request gate maps them the
 * same way on either path.
 */
export class EnvelopeSplitter {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** The length of the message being buffered, once its prefix has arrived. */
  private pending?: { flags: number; length: number };

  constructor(private readonly readMaxBytes: number) {}

  /** Adds a chunk of the body; returns the messages it completes. */
  push(chunk: Buffer): Envelope[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const done: Envelope[] = [];
    for (;;) {
      if (!this.pending) {
        if (this.buffered < ENVELOPE_HEADER_BYTES) break;
        const head = this.take(ENVELOPE_HEADER_BYTES);
        const length = head.readUInt32BE(1);
        if (length > this.readMaxBytes) {
          throw new ConnectError(`message size ${length} is larger than configured readMaxBytes ${this.readMaxBytes}`, Code.ResourceExhausted);
        }
        this.pending = { flags: head[0]!, length };
      }
      if (this.buffered < this.pending.length) break;
      done.push({ flags: this.pending.flags, data: this.take(this.pending.length) });
      this.pending = undefined;
    }
    return done;
  }

  /** Call at the end of the body: bytes of an unfinished message left over are a protocol error. */
  end(): void {
    if (this.pending || this.buffered > 0) throw new ConnectError("protocol error: incomplete envelope", Code.InvalidArgument);
  }

  private take(n: number): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered);
    const taken = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    return taken;
  }
}

/** One message, length-prefixed, ready to write. */
export function encodeEnvelope(flags: number, data: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(ENVELOPE_HEADER_BYTES + data.length);
  out[0] = flags;
  out.writeUInt32BE(data.length, 1);
  out.set(data, ENVELOPE_HEADER_BYTES);
  return out;
}

/**
 * One cached answer: the serialized response (binary protobuf) and when it
 * was made and for how long it is good. Every layer stores exactly this.
 */
export interface CacheEntry {
  /** `toBinary` of the cached response message. */
  payload: Uint8Array;
  /** When the answer was produced, epoch ms (kept across back-fills so age stays true). */
  createdAtMs: number;
  /** Lifetime from createdAtMs, seconds. */
  ttlS: number;
}

const FORMAT_VERSION = 1;
/** version (1 byte) + createdAtMs (float64) + ttlS (uint32). */
const HEADER_BYTES = 1 + 8 + 4;

export function expiresAtMs(entry: CacheEntry): number {
  return entry.createdAtMs + entry.ttlS * 1000;
}

/** Whole seconds since the entry was created. */
export function ageS(entry: CacheEntry, nowMs: number): number {
  return Math.max(0, Math.floor((nowMs - entry.createdAtMs) / 1000));
}

/** Bytes an entry occupies: what the memory layer's byte bound counts. */
export function entrySize(entry: CacheEntry): number {
  return entry.payload.byteLength + HEADER_BYTES;
}

/**
 * Byte stores (Redis, object stores) keep the metadata in the same blob as
 * the payload, so one read returns everything needed to check freshness.
 */
export function encodeEntry(entry: CacheEntry): Buffer {
  const out = Buffer.allocUnsafe(HEADER_BYTES + entry.payload.byteLength);
  out.writeUInt8(FORMAT_VERSION, 0);
  out.writeDoubleBE(entry.createdAtMs, 1);
  out.writeUInt32BE(entry.ttlS, 9);
  out.set(entry.payload, HEADER_BYTES);
  return out;
}

/** Undefined for bytes that are not an entry of this format (treated as a miss, never a crash). */
export function decodeEntry(bytes: Uint8Array): CacheEntry | undefined {
  if (bytes.byteLength < HEADER_BYTES || bytes[0] !== FORMAT_VERSION) return undefined;
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    createdAtMs: view.readDoubleBE(1),
    ttlS: view.readUInt32BE(9),
    payload: new Uint8Array(bytes.buffer, bytes.byteOffset + HEADER_BYTES, bytes.byteLength - HEADER_BYTES),
  };
}

/** Object-store metadata mirroring the header, for operators browsing a bucket. */
export function entryMetadata(entry: CacheEntry): Record<string, string> {
  return { "created-ms": String(entry.createdAtMs), "ttl-s": String(entry.ttlS) };
}

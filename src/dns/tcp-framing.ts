// DNS over TCP frames each message with a 2-byte big-endian length (RFC 1035 4.2.2, RFC 7766).
import { TCP_MESSAGE_LIMIT } from "./dns-message.js";

/** Splits a TCP byte stream into DNS messages, however the stream happens to be chunked. */
export class LengthPrefixedReader {
  private buffered: Buffer = Buffer.alloc(0);

  /** Adds bytes from the stream; returns the messages now complete, in order. */
  push(chunk: Buffer): Buffer[] {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const messages: Buffer[] = [];
    let at = 0;
    while (this.buffered.length - at >= 2) {
      const size = this.buffered.readUInt16BE(at);
      if (this.buffered.length - at - 2 < size) break;
      messages.push(this.buffered.subarray(at + 2, at + 2 + size));
      at += 2 + size;
    }
    this.buffered = this.buffered.subarray(at);
    return messages;
  }

  /** Bytes of an incomplete message waiting for the rest (at most 2 + 65535). */
  get pendingBytes(): number {
    return this.buffered.length;
  }
}

/** The message with its length prefix. */
export function frame(message: Buffer): Buffer {
  if (message.length > TCP_MESSAGE_LIMIT) throw new RangeError(`a DNS message of ${message.length} bytes`);
  const prefix = Buffer.alloc(2);
  prefix.writeUInt16BE(message.length);
  return Buffer.concat([prefix, message]);
}

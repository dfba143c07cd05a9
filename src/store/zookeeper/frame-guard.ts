// Guards node-zookeeper-client 1.1.3 against frames it cannot decode (alexguan/node-zookeeper-client#39): its socket
// `data` handler throws out of the event, killing the process, e.g. on an empty answer after a session expired.
// Also hands it one whole frame at a time: given a chunk of many, it copies the rest of the chunk once per frame
// (quadratic; a third of the CPU of a busy client in the ZooKeeper simulation benchmark).
import type { Client } from "node-zookeeper-client";

/** The parts of the client's connection manager (lib/ConnectionManager.js) that decode what the server sends. */
interface FrameDecoding {
  onSocketData(buffer: Buffer): void;
  /** Bytes of a frame not yet complete, kept for the next `data` event. */
  pendingBuffer?: Buffer | null;
  socket?: { destroy(): void };
}

/** What the client's decoder throws on a short or malformed frame: jute's own range checks, Buffer's bounds. */
export function isFrameDecodeError(error: unknown): error is Error {
  if (error instanceof RangeError) return true;
  return error instanceof Error && /out of buffer range|does not have enough space/.test(error.message);
}

/**
 * Makes the client drop the connection when a frame from the server cannot be decoded, as the Java client does
 * (it reconnects, and learns on the handshake whether its session is still alive), instead of throwing out of the
 * socket's `data` event. Call before `client.connect()`: the client binds the handler as it opens each socket.
 * Other errors (from the callbacks the decoder calls) pass through as before.
 */
export function guardFrameDecoding(client: Client, onBadFrame: (error: Error) => void): void {
  // Internal to node-zookeeper-client: it has no hook for protocol errors.
  const manager = (client as unknown as { connectionManager?: FrameDecoding }).connectionManager;
  const decode = manager?.onSocketData;
  if (!manager || typeof decode !== "function") {
    throw new Error("node-zookeeper-client changed: no onSocketData on its connection manager");
  }
  const frames = new FrameSplitter();
  // An own property shadows the prototype's: `connect()` binds this one.
  manager.onSocketData = function guardedSocketData(this: FrameDecoding, buffer: Buffer): void {
    try {
      for (const frame of frames.split(this.socket, buffer)) decode.call(this, frame);
    } catch (error) {
      if (!isFrameDecodeError(error)) throw error;
      // What follows on this connection cannot be trusted to start on a frame boundary: drop it all. Closing the
      // socket makes the client fail the requests in flight with CONNECTION_LOSS and reconnect.
      frames.reset();
      this.pendingBuffer = null;
      this.socket?.destroy();
      onBadFrame(error);
    }
  };
}

/** Cuts a connection's byte stream into whole frames (a 4-byte big-endian length, then that many bytes). */
export class FrameSplitter {
  private pending?: Buffer;
  private connection?: unknown;

  /** The whole frames completed by `chunk`; bytes of an incomplete one wait for the next chunk of `connection`. */
  split(connection: unknown, chunk: Buffer): Buffer[] {
    if (connection !== this.connection) {
      this.connection = connection;
      this.pending = undefined;
    }
    // Only the tail of one incomplete frame is ever copied again: linear in the bytes received.
    const data = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    const out: Buffer[] = [];
    let offset = 0;
    while (data.length - offset >= 4) {
      const size = data.readInt32BE(offset);
      if (size < 0) throw new RangeError(`frame length ${size} is out of buffer range`);
      if (data.length - offset - 4 < size) break;
      out.push(data.subarray(offset, offset + 4 + size));
      offset += 4 + size;
    }
    this.pending = offset < data.length ? data.subarray(offset) : undefined;
    return out;
  }

  reset(): void {
    this.pending = undefined;
  }
}

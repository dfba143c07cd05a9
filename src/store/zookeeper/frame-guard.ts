// Guards node-zookeeper-client 1.1.3 against frames it cannot decode (alexguan/node-zookeeper-client#39): its socket
// `data` handler throws out of the event, killing the process, e.g. on an empty answer after a session expired.
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
  // An own property shadows the prototype's: `connect()` binds this one, and the decoder's recursion (one frame
  // at a time) goes through it too.
  manager.onSocketData = function guardedSocketData(this: FrameDecoding, buffer: Buffer): void {
    try {
      decode.call(this, buffer);
    } catch (error) {
      if (!isFrameDecodeError(error)) throw error;
      // What follows on this connection cannot be trusted to start on a frame boundary: drop it all. Closing the
      // socket makes the client fail the requests in flight with CONNECTION_LOSS and reconnect.
      this.pendingBuffer = null;
      this.socket?.destroy();
      onBadFrame(error);
    }
  };
}

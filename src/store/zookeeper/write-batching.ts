// Makes node-zookeeper-client 1.1.3 send the requests queued within one turn of the event loop in one socket
// write: it writes each request on its own as it is queued, one system call each (11 % of the CPU of a busy
// client in the ZooKeeper simulation benchmark; about 7 % more pods/s with this).
import type { EventEmitter } from "node:events";
import type { Socket } from "node:net";
import type { Client } from "node-zookeeper-client";

/** The parts of the client's connection manager (lib/ConnectionManager.js) that send requests. */
interface RequestSending {
  packetQueue: EventEmitter;
  onPacketQueueReadable(): void;
  socket?: Socket;
}

/** Call before `client.connect()`. */
export function batchRequestWrites(client: Client): void {
  // Internal to node-zookeeper-client: it has no option for this.
  const manager = (client as unknown as { connectionManager?: RequestSending }).connectionManager;
  const send = manager?.onPacketQueueReadable;
  if (!manager?.packetQueue || typeof send !== "function") {
    throw new Error("node-zookeeper-client changed: no packet queue on its connection manager");
  }
  let corked: Socket | undefined;
  // The manager listens to its queue with a bound copy of `onPacketQueueReadable`: replace that listener.
  manager.packetQueue.removeAllListeners("readable");
  manager.packetQueue.on("readable", () => {
    const socket = manager.socket;
    if (socket && corked !== socket) {
      // Held until the check phase of this turn: every request queued until then leaves in one write.
      corked = socket;
      socket.cork();
      setImmediate(() => {
        if (corked === socket) corked = undefined;
        socket.uncork();
      });
    }
    send.call(manager);
  });
}

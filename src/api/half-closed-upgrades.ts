// A refused WebSocket upgrade (401, 404, 409 before the handler) is answered by @fastify/websocket on the raw
// socket, which Node's HTTP server then leaves to its owner with half-open allowed: when the client sends its FIN
// the socket would stay open for ever (and hold up close()). This ends our side once the client has ended its.
import type { Server } from "node:http";
import type { Duplex } from "node:stream";

export function endHalfClosedUpgrades(server: Server): void {
  server.on("upgrade", (_request, socket: Duplex) => {
    socket.once("end", () => socket.end());
  });
}

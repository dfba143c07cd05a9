// The DNS transports: one UDP socket and one TCP listener on the same address and port, handing each
// message to a handler. Bounded everywhere (queries in flight, connections, idle time) so that no
// client can make it stall or grow without limit.
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { createServer, isIPv6, type Server, type Socket } from "node:net";
import { type Logger, logger as makeLogger } from "../core/logger.js";
import type { Transport } from "./query-handler.js";
import { frame, LengthPrefixedReader } from "./tcp-framing.js";

export interface DnsServerOptions {
  host: string;
  /** 0 picks a port free for both UDP and TCP. */
  port: number;
  handle(message: Buffer, transport: Transport): Promise<Buffer | undefined>;
  /** UDP queries being answered at once; more are dropped (the client retries). Default 4096. */
  maxUdpInFlight?: number;
  /** Open TCP connections at most. Default 256. */
  maxTcpConnections?: number;
  /** Queries in flight on one TCP connection; more close it. Default 64. */
  maxTcpPipeline?: number;
  /** A TCP connection idle this long is closed (RFC 7766 suggests seconds). Default 10 s. */
  tcpIdleMs?: number;
  logger?: Logger;
}

export class DnsServer {
  private udp?: UdpSocket;
  private tcp?: Server;
  private readonly connections = new Set<Socket>();
  private udpInFlight = 0;
  private readonly log: Logger;
  private boundPort = 0;

  constructor(private readonly options: DnsServerOptions) {
    this.log = options.logger ?? makeLogger("dns");
  }

  get address(): string {
    return this.options.host;
  }

  get port(): number {
    return this.boundPort;
  }

  async listen(): Promise<void> {
    // With port 0 the UDP port picked may be taken for TCP: try again with another.
    for (let attempt = 0; ; attempt++) {
      const udp = await this.bindUdp(this.options.port);
      const port = udp.address().port;
      try {
        this.tcp = await this.listenTcp(port);
      } catch (err) {
        udp.close();
        if (this.options.port === 0 && attempt < 20 && (err as NodeJS.ErrnoException).code === "EADDRINUSE") {
          continue;
        }
        throw err;
      }
      this.udp = udp;
      this.boundPort = port;
      return;
    }
  }

  async close(): Promise<void> {
    const udp = this.udp;
    const tcp = this.tcp;
    this.udp = undefined;
    this.tcp = undefined;
    for (const connection of this.connections) connection.destroy();
    await Promise.all([
      udp ? new Promise<void>((resolve) => udp.close(() => resolve())) : undefined,
      tcp ? new Promise<void>((resolve) => tcp.close(() => resolve())) : undefined,
    ]);
  }

  private bindUdp(port: number): Promise<UdpSocket> {
    const { host } = this.options;
    const udp = createSocket(isIPv6(host) ? "udp6" : "udp4");
    return new Promise((resolve, reject) => {
      udp.once("error", reject);
      udp.bind(port, host, () => {
        udp.off("error", reject);
        udp.on("error", (err) => this.log.warn({ err }, "UDP socket error"));
        udp.on("message", (message, peer) => this.onUdpMessage(udp, message, peer.address, peer.port));
        resolve(udp);
      });
    });
  }

  private onUdpMessage(udp: UdpSocket, message: Buffer, address: string, port: number): void {
    if (this.udpInFlight >= (this.options.maxUdpInFlight ?? 4096)) return;
    this.udpInFlight++;
    void this.options
      .handle(message, "udp")
      .then((response) => {
        if (response && this.udp === udp) {
          udp.send(response, port, address, (err) => {
            if (err) this.log.debug({ err, peer: address }, "UDP send failed");
          });
        }
      })
      .catch((err: unknown) => this.log.error({ err }, "UDP query failed"))
      .finally(() => this.udpInFlight--);
  }

  private listenTcp(port: number): Promise<Server> {
    const server = createServer((socket) => this.onConnection(socket));
    server.maxConnections = this.options.maxTcpConnections ?? 256;
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen({ port, host: this.options.host }, () => {
        server.off("error", reject);
        server.on("error", (err) => this.log.warn({ err }, "TCP listener error"));
        resolve(server);
      });
    });
  }

  private onConnection(socket: Socket): void {
    this.connections.add(socket);
    socket.setNoDelay(true);
    socket.setTimeout(this.options.tcpIdleMs ?? 10_000, () => socket.destroy());
    socket.on("error", (err) => this.log.debug({ err }, "TCP connection error"));
    socket.on("close", () => this.connections.delete(socket));
    const reader = new LengthPrefixedReader();
    const maxPipeline = this.options.maxTcpPipeline ?? 64;
    let inFlight = 0;
    socket.on("data", (chunk) => {
      for (const message of reader.push(chunk)) {
        if (inFlight >= maxPipeline) {
          socket.destroy();
          return;
        }
        inFlight++;
        void this.options
          .handle(message, "tcp")
          .then((response) => {
            if (response && !socket.destroyed) socket.write(frame(response));
          })
          .catch((err: unknown) => this.log.error({ err }, "TCP query failed"))
          .finally(() => inFlight--);
      }
    });
  }
}

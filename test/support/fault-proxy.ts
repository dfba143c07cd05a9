// A loopback TCP proxy in front of a ZooKeeper server that misbehaves on demand, for the tests of the ZooKeeper
// client: it can answer handshakes itself (with bad bytes, or never), send the client bytes the server did not,
// re-cut what the server sends, go silent on open connections, and count what the client writes.
import { connect, createServer, type Server, type Socket } from "node:net";
import { setImmediate as nextTurn } from "node:timers/promises";

/** How the server's bytes reach the client: as they come, one byte at a time, or gathered for COALESCE_MS. */
export type Chunking = "as-is" | "bytes" | "coalesced";

const COALESCE_MS = 20;

export class FaultProxy {
  /** Connections accepted so far. */
  connections = 0;
  /** `data` events received from clients (each is one or more of their writes), over all connections. */
  clientChunks = 0;
  chunking: Chunking = "as-is";
  private readonly server: Server;
  private readonly clients = new Set<Socket>();
  private readonly upstreams = new Set<Socket>();
  private readonly silenced = new Set<Socket>();
  /** Answers to the next connections' first bytes, instead of the server's: bytes, or `null` for silence. */
  private readonly handshakeAnswers: (Buffer | null)[] = [];
  private port = 0;

  constructor(private readonly target: { host: string; port: number }) {
    this.server = createServer((client) => this.accept(client));
  }

  /** Client connections open now. */
  get openConnections(): number {
    return this.clients.size;
  }

  /** `host:port` for a connect string. */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    const address = this.server.address();
    if (!address || typeof address === "string") throw new Error("the proxy has no port");
    this.port = address.port;
    return this;
  }

  /** The next connection's handshake gets `answer` (null: no answer at all) instead of reaching the server. */
  answerNextHandshake(answer: Buffer | null): void {
    this.handshakeAnswers.push(answer);
  }

  /** Sends `bytes` to every connected client, as if the server had. */
  inject(bytes: Buffer): void {
    for (const client of this.clients) client.write(bytes);
  }

  /** Open connections stay open but nothing passes on them any more, either way; new ones work. */
  silence(): void {
    for (const client of this.clients) this.silenced.add(client);
  }

  async close(): Promise<void> {
    for (const socket of [...this.clients, ...this.upstreams]) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private accept(client: Socket): void {
    this.connections++;
    this.clients.add(client);
    client.setNoDelay(true);
    client.on("close", () => {
      this.clients.delete(client);
      this.silenced.delete(client);
    });
    client.on("error", () => client.destroy());
    const answer = this.handshakeAnswers.shift();
    if (answer !== undefined) {
      client.once("data", () => {
        if (answer) client.write(answer);
      });
      return;
    }
    const upstream = connect(this.target.port, this.target.host);
    this.upstreams.add(upstream);
    upstream.on("close", () => {
      this.upstreams.delete(upstream);
      client.destroy();
    });
    upstream.on("error", () => upstream.destroy());
    client.on("close", () => upstream.destroy());
    client.on("data", (chunk) => {
      this.clientChunks++;
      if (!this.silenced.has(client)) upstream.write(chunk);
    });
    let held: Buffer[] = [];
    let sending = Promise.resolve();
    upstream.on("data", (chunk) => {
      if (this.silenced.has(client)) return;
      if (this.chunking === "as-is") client.write(chunk);
      else if (this.chunking === "bytes") {
        // One byte per turn of the event loop, so that the client reads each on its own.
        sending = sending.then(async () => {
          for (const byte of chunk) {
            client.write(Buffer.of(byte));
            await nextTurn();
          }
        });
      } else {
        if (held.length === 0) {
          setTimeout(() => {
            client.write(Buffer.concat(held));
            held = [];
          }, COALESCE_MS);
        }
        held.push(chunk);
      }
    });
  }
}

/** Starts a FaultProxy in front of `target` on a free loopback port. */
export function startFaultProxy(target: { host: string; port: number }): Promise<FaultProxy> {
  return new FaultProxy(target).listen();
}

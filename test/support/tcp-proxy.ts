// A loopback TCP proxy that a test can pause, to cut one client off from a server (a partition) for as
// long as it likes, e.g. past its ZooKeeper session timeout so that the server expires the session.
import { connect, createServer, type Server, type Socket } from "node:net";

export interface TcpProxy {
  readonly host: string;
  readonly port: number;
  /** `host:port` to give the client instead of the target's. */
  readonly address: string;
  readonly paused: boolean;
  /**
   * Cuts every open connection and holds new ones: they are accepted but nothing passes, as if packets were
   * dropped. Held connections are closed on resume(), so that the client reconnects afresh.
   */
  pause(): void;
  resume(): void;
  /** Closes the listener and every connection. */
  close(): Promise<void>;
}

export interface TcpTarget {
  host: string;
  port: number;
}

/** Listens on a free loopback port and forwards each connection to `target`. */
export async function startTcpProxy(target: TcpTarget): Promise<TcpProxy> {
  const proxy = new PausableProxy(target);
  await proxy.listen();
  return proxy;
}

class PausableProxy implements TcpProxy {
  readonly host = "127.0.0.1";
  port = 0;
  paused = false;
  private readonly server: Server;
  /** Open client sockets, each with the upstream socket it is piped to. */
  private readonly pairs = new Map<Socket, Socket>();
  private readonly held = new Set<Socket>();

  constructor(private readonly target: TcpTarget) {
    this.server = createServer((client) => this.accept(client));
  }

  get address(): string {
    return `${this.host}:${this.port}`;
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(0, this.host, () => {
        const address = this.server.address();
        this.port = typeof address === "object" && address ? address.port : 0;
        resolve();
      });
    });
  }

  pause(): void {
    this.paused = true;
    for (const [client, upstream] of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
    this.pairs.clear();
  }

  resume(): void {
    this.paused = false;
    for (const client of this.held) client.destroy();
    this.held.clear();
  }

  close(): Promise<void> {
    this.pause();
    this.resume();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    client.on("error", () => client.destroy());
    if (this.paused) {
      this.held.add(client);
      client.once("close", () => this.held.delete(client));
      return;
    }
    const upstream = connect(this.target.port, this.target.host);
    this.pairs.set(client, upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      this.pairs.delete(client);
    };
    upstream.on("error", drop);
    client.once("close", drop);
    upstream.once("close", drop);
    client.pipe(upstream);
    upstream.pipe(client);
  }
}

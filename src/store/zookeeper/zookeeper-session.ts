// The ZooKeeper session behind a ZooKeeperStore: one client at a time, replaced by a new one (a new session)
// when the old session expires. Every call waits, for a bounded time, for a live connection.
import { type Client, createClient } from "node-zookeeper-client";
import type { Clock } from "../../core/clock.js";
import { UnavailableError } from "../../core/errors.js";
import type { Logger } from "../../core/logger.js";
import type { SessionState } from "../store.js";
import * as zk from "./client-calls.js";
import { guardFrameDecoding } from "./frame-guard.js";
import { batchRequestWrites } from "./write-batching.js";

export interface ZooKeeperSessionOptions {
  connectString: string;
  sessionTimeoutMs: number;
  /** How long a call may wait for a connection and then for its answer. */
  operationTimeoutMs: number;
  clock: Clock;
  log: Logger;
}

/** `newSession` is true on the first connection of a client: its ephemerals and watches start from nothing. */
export type StateListener = (state: SessionState, newSession: boolean) => void;

export class ZooKeeperSession {
  private client: Client;
  private current: SessionState = "disconnected";
  private newSession = true;
  private readonly listeners = new Set<StateListener>();
  private readonly connectWaiters = new Set<() => void>();

  /** Pause after trying every server once: short, since the session timeout bounds the whole retry. */
  private readonly spinDelayMs: number;

  constructor(private readonly options: ZooKeeperSessionOptions) {
    this.spinDelayMs = Math.min(1000, Math.max(100, Math.floor(options.sessionTimeoutMs / 10)));
    this.client = this.openClient();
  }

  get state(): SessionState {
    return this.current;
  }

  /** The id of the current session, as ZooKeeper prints it (`0x...`); empty before the first connection. */
  get sessionId(): string {
    return this.current === "connected" ? zk.sessionIdText(this.client) : "";
  }

  onState(listener: StateListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The client if the session is connected now, else undefined (used by watches, which resync on reconnect). */
  liveClient(): Client | undefined {
    return this.current === "connected" ? this.client : undefined;
  }

  /** Resolves with the connected client, waiting for a connection until `deadline` (clock time). */
  connectedClient(deadline: number): Promise<Client> {
    if (this.current === "closed") return Promise.reject(new UnavailableError("the store is closed"));
    if (this.current === "connected") return Promise.resolve(this.client);
    return new Promise((resolve, reject) => {
      const wake = () => {
        cancelTimer();
        this.connectWaiters.delete(wake);
        if (this.current === "connected") resolve(this.client);
        else reject(new UnavailableError("the store is closed"));
      };
      const cancelTimer = this.options.clock.setTimeout(
        () => {
          this.connectWaiters.delete(wake);
          reject(
            new UnavailableError(
              `not connected to ZooKeeper at ${this.options.connectString} (session ${this.current})`,
            ),
          );
        },
        Math.max(0, deadline - this.options.clock.now()),
      );
      this.connectWaiters.add(wake);
    });
  }

  /**
   * Runs `call` on the connected client within the operation timeout. Lost connections and expired sessions
   * become UnavailableError; ZooKeeper's other errors pass through for the caller to map.
   */
  async run<T>(call: (client: Client) => Promise<T>): Promise<T> {
    const deadline = this.options.clock.now() + this.options.operationTimeoutMs;
    const client = await this.connectedClient(deadline);
    try {
      return await this.beforeDeadline(client, call(client), deadline);
    } catch (error) {
      const code = zk.zkCode(error);
      if (zk.isConnectionCode(code)) {
        throw new UnavailableError(`ZooKeeper connection lost (${(error as Error).message})`);
      }
      throw error;
    }
  }

  /** Ends the session: ZooKeeper removes its ephemeral nodes at once. */
  async close(): Promise<void> {
    if (this.current === "closed") return;
    const client = this.client;
    const wasConnected = this.current === "connected";
    this.setState("closed", false);
    for (const wake of [...this.connectWaiters]) wake();
    const closed = new Promise<void>((resolve) => {
      client.once("disconnected", () => resolve());
      const cancel = this.options.clock.setTimeout(resolve, this.options.operationTimeoutMs);
      client.once("disconnected", cancel);
    });
    client.close();
    // When disconnected, the close request cannot be sent: the server expires the session by itself.
    if (wasConnected) await closed;
    zk.dropConnection(client);
    client.removeAllListeners();
  }

  private openClient(): Client {
    const client = createClient(this.options.connectString, {
      sessionTimeout: this.options.sessionTimeoutMs,
      spinDelay: this.spinDelayMs,
      retries: 0,
    });
    this.watchHandshake(client);
    batchRequestWrites(client);
    guardFrameDecoding(client, (error) => {
      this.options.log.warn({ err: error }, "ZooKeeper sent a frame the client cannot decode; reconnecting");
    });
    client.on("connected", () => {
      if (client !== this.client || this.current === "closed") return;
      const fresh = this.newSession;
      this.newSession = false;
      this.options.log.info(
        { session: zk.sessionIdText(client), newSession: fresh },
        "connected to ZooKeeper",
      );
      this.setState("connected", fresh);
      for (const wake of [...this.connectWaiters]) wake();
    });
    client.on("disconnected", () => {
      if (client !== this.client || this.current !== "connected") return;
      this.options.log.warn("disconnected from ZooKeeper");
      this.setState("disconnected", false);
    });
    client.on("expired", () => {
      if (client !== this.client || this.current === "closed") return;
      this.options.log.warn("ZooKeeper session expired; opening a new session");
      // Replace the client first, so that listeners that call the store already wait for the new session.
      zk.dropConnection(client);
      client.removeAllListeners();
      this.newSession = true;
      this.client = this.openClient();
      this.setState("expired", false);
    });
    client.connect();
    return client;
  }

  /**
   * The client times out a TCP connect, but then waits for the server's answer to its session handshake
   * forever: a server that accepts and never answers (one still starting, or hung) would hold it there.
   * Like the Java client, give up on the attempt after a connect timeout, so that the client tries again.
   */
  private watchHandshake(client: Client): void {
    const servers = this.options.connectString.split(",").length;
    const limitMs = Math.floor(this.options.sessionTimeoutMs / servers) + this.spinDelayMs;
    const manager = zk.connectionInternals(client);
    let cancel: (() => void) | undefined;
    manager.on("state", (state) => {
      cancel?.();
      cancel = undefined;
      if (state !== zk.CONNECTING) return;
      cancel = this.options.clock.setTimeout(() => {
        const socket = manager.socket;
        // Still TCP-connecting is the client's own timeout's business (it must see that socket's error).
        if (manager.state === zk.CONNECTING && socket && !socket.connecting && !socket.destroyed) {
          this.options.log.debug("no answer to the session handshake; trying again");
          socket.destroy();
        }
      }, limitMs);
    });
  }

  private setState(state: SessionState, newSession: boolean): void {
    this.current = state;
    for (const listener of [...this.listeners]) {
      try {
        listener(state, newSession);
      } catch (error) {
        this.options.log.error({ err: error }, "session listener failed");
      }
    }
  }

  /** Rejects with UnavailableError if `work` has not settled by `deadline` (and drops a connection that went quiet). */
  beforeDeadline<T>(client: Client, work: Promise<T>, deadline: number): Promise<T> {
    return new Promise((resolve, reject) => {
      const cancel = this.options.clock.setTimeout(
        () => {
          reject(
            new UnavailableError(`ZooKeeper did not answer within ${this.options.operationTimeoutMs} ms`),
          );
          // The client has no read timeout: a connection that answers nothing for this long is dead to us.
          if (client === this.client && this.current === "connected") {
            this.options.log.warn("no answer from ZooKeeper; reconnecting");
            zk.dropConnection(client);
          }
        },
        Math.max(0, deadline - this.options.clock.now()),
      );
      work.then(
        (value) => {
          cancel();
          resolve(value);
        },
        (error) => {
          cancel();
          reject(error);
        },
      );
    });
  }
}

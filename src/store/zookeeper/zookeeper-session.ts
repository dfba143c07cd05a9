// The ZooKeeper session behind a ZooKeeperStore: one client at a time, replaced by a new one (a new session)
// when the old session expires. Every call waits, for a bounded time, for a live connection and its answer: the
// client itself would queue a call until it reconnects, however long that takes.
import { type ACL, type Client, createClient } from "node-zookeeper-client";
import type { Clock } from "../../core/clock.js";
import { UnavailableError } from "../../core/errors.js";
import type { Logger } from "../../core/logger.js";
import type { SessionState } from "../store.js";
import * as zk from "./client-calls.js";
import { assertPatchedClient } from "./patched-client.js";
import { authInfo, type ZooKeeperAuth, znodeAcls } from "./zookeeper-auth.js";

/** TLS to the servers' `secureClientPort`, in PEM. */
export interface ZooKeeperTlsOptions {
  /** The CA that signed the servers' certificates. */
  ca: string | Buffer;
  /** The client's certificate and key, for servers that ask for one (`ssl.clientAuth`, `need` by default). */
  cert?: string | Buffer;
  key?: string | Buffer;
}

export interface ZooKeeperSessionOptions {
  connectString: string;
  sessionTimeoutMs: number;
  /** How long a call may wait for a connection and then for its answer. */
  operationTimeoutMs: number;
  tls?: ZooKeeperTlsOptions;
  /** Digest identity every connection authenticates as, and the only one the znodes we create admit. */
  auth?: ZooKeeperAuth;
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
  /** Why connections failed since the last success, each said once. */
  private readonly connectionErrors = new Set<string>();

  /** Pause after trying every server once: short, since the session timeout bounds the whole retry. */
  private readonly spinDelayMs: number;
  /** The ACL of every znode created through this session. */
  readonly acls: ACL[];

  constructor(private readonly options: ZooKeeperSessionOptions) {
    assertPatchedClient();
    this.acls = znodeAcls(options.auth);
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
      return await this.beforeDeadline(call(client), deadline);
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
    // When disconnected, the close request cannot be sent: the client stops at once and the server expires the
    // session by itself. A server that does not answer is left to the client's read timeout.
    client.close();
    if (wasConnected) await closed;
    client.removeAllListeners();
  }

  private openClient(): Client {
    const client = createClient(this.options.connectString, {
      sessionTimeout: this.options.sessionTimeoutMs,
      spinDelay: this.spinDelayMs,
      retries: 0,
      tls: this.options.tls,
    });
    // Kept by the client and sent again on every connection (before any request), so a reconnected or
    // new session is authenticated too.
    if (this.options.auth) {
      const { scheme, auth } = authInfo(this.options.auth);
      client.addAuthInfo(scheme, auth);
    }
    client.on("frameError", (error) => {
      this.options.log.warn({ err: error }, "ZooKeeper sent a frame the client cannot decode; reconnecting");
    });
    client.on("socketError", (error) => {
      // Said once per reason until a connection succeeds: the client retries every server in turn.
      if (this.connectionErrors.has(error.message)) return;
      this.connectionErrors.add(error.message);
      this.options.log.warn({ err: error }, "ZooKeeper connection failed");
    });
    client.on("connected", () => {
      if (client !== this.client || this.current === "closed") return;
      this.connectionErrors.clear();
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
      client.removeAllListeners();
      client.close();
      this.newSession = true;
      this.client = this.openClient();
      this.setState("expired", false);
    });
    client.connect();
    return client;
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

  /**
   * Rejects with UnavailableError if `work` has not settled by `deadline`. (A connection on which the server has
   * gone quiet is dropped by the client's own read timeout, two thirds of the session timeout.)
   */
  beforeDeadline<T>(work: Promise<T>, deadline: number): Promise<T> {
    return new Promise((resolve, reject) => {
      const cancel = this.options.clock.setTimeout(
        () =>
          reject(
            new UnavailableError(`ZooKeeper did not answer within ${this.options.operationTimeoutMs} ms`),
          ),
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

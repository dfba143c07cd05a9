// Keeps this worker's node registered in the store: an ephemeral key that vanishes with the worker's
// session, re-created after a session expiry.
import { ConflictError, NotFoundError } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import type { NodeInfo } from "../core/types.js";
import { keys } from "../store/keys.js";
import type { Store } from "../store/store.js";

export class NodeRegistration {
  private stopListening?: () => void;
  private expired = false;

  constructor(
    private readonly store: Store,
    private readonly node: () => NodeInfo,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    this.stopListening = this.store.onSession((state) => {
      if (state === "expired") this.expired = true;
      if (state === "connected" && this.expired) {
        this.expired = false;
        this.register().catch((err) => this.log.error({ err }, "re-registering the node failed"));
      }
    });
    await this.register();
  }

  /**
   * Creates the node's ephemeral key. A key left by this node's previous session (a restart faster than the
   * store's session timeout) is replaced: node names are unique per machine.
   */
  async register(): Promise<void> {
    const info = this.node();
    const key = keys.node(info.name);
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await this.store.create(key, info, { ephemeral: true });
        this.log.info({ address: info.address }, "node registered");
        return;
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err;
        this.log.warn("a registration of this node from an earlier session is still there: replacing it");
        await this.store.delete(key).catch((e) => {
          if (!(e instanceof NotFoundError)) throw e;
        });
      }
    }
    throw new ConflictError(`node "${info.name}" keeps being registered by another session`);
  }

  /**
   * Marks the registration as stopping cleanly (a restart in place, most likely), so that the controller
   * gives this node a longer grace once the key goes. Best effort: a failure only costs that grace.
   */
  async markStopping(at: string): Promise<void> {
    // Without a live session the key is going anyway, and a write would only hold up the shutdown.
    if (this.store.sessionState !== "connected") return;
    const key = keys.node(this.node().name);
    try {
      const entry = await this.store.get<NodeInfo>(key);
      if (entry) await this.store.set(key, { ...entry.value, stoppingAt: at }, entry.version);
    } catch (err) {
      this.log.warn({ err }, "could not mark the node as stopping");
    }
  }

  /** Stops re-registering; the key itself goes with the session when the store is closed. */
  stop(): void {
    this.stopListening?.();
  }
}

// A Store client of the embedded backend: one session with its ephemeral keys, watches and candidacies.
// Several clients share one EmbeddedBackend in a process, as several ZooKeeper clients share an ensemble.
import { ConflictError, NotFoundError, UnavailableError } from "../../core/errors.js";
import { logger } from "../../core/logger.js";
import {
  assertKey,
  assertPage,
  type CampaignHandlers,
  type Candidacy,
  type Entry,
  type Lease,
  type Page,
  type PageRequest,
  type SessionState,
  type Store,
  type TxOp,
  type Watch,
  type WatchEvent,
} from "../store.js";
import type { EmbeddedBackend } from "./embedded-backend.js";
import { EmbeddedCandidacy, electionDir } from "./embedded-candidacy.js";
import type { Watcher } from "./watch-hub.js";

const log = logger("store.embedded");

export class EmbeddedStore implements Store {
  private state: SessionState = "connected";
  private sessionId: number;
  private readonly sessionListeners = new Set<(state: SessionState) => void>();
  private readonly watchers = new Set<Watcher>();
  private readonly candidacies = new Set<EmbeddedCandidacy>();

  /** Use `EmbeddedBackend.connect()`. */
  constructor(private readonly backend: EmbeddedBackend) {
    this.sessionId = backend.openSession(() => this.sessionExpired());
  }

  get sessionState(): SessionState {
    return this.state;
  }

  /** The id of the current session (a new one after each expiry). */
  get session(): number {
    return this.sessionId;
  }

  async get<T>(key: string): Promise<Entry<T> | undefined> {
    this.assertUsable();
    assertKey(key);
    await this.ownWritesCommitted();
    return this.backend.read<T>(key);
  }

  async list<T>(dir: string): Promise<Entry<T>[]> {
    this.assertUsable();
    assertKey(dir);
    await this.ownWritesCommitted();
    return this.backend.list<T>(dir);
  }

  async listPage<T>(dir: string, page: PageRequest): Promise<Page<T>> {
    this.assertUsable();
    assertPage(dir, page);
    await this.ownWritesCommitted();
    return this.backend.listPage<T>(dir, page);
  }

  async count(dir: string): Promise<number> {
    this.assertUsable();
    assertKey(dir);
    await this.ownWritesCommitted();
    return this.backend.count(dir);
  }

  // Writes are group-committed by the backend: each call resolves once the commit holding it returned.

  async create<T>(key: string, value: T, options?: { ephemeral?: boolean }): Promise<Entry<T>> {
    this.assertUsable();
    const [entry] = await this.backend.commit(
      [{ op: "create", key, value, ephemeral: options?.ephemeral ?? false }],
      this.sessionId,
    );
    return entry as Entry<T>;
  }

  async set<T>(key: string, value: T, version?: number): Promise<Entry<T>> {
    this.assertUsable();
    if (version === undefined) {
      const [entry] = await this.backend.commit([{ op: "put", key, value }], this.sessionId);
      return entry as Entry<T>;
    }
    try {
      const [entry] = await this.backend.commit([{ op: "set", key, value, version }], this.sessionId);
      return entry as Entry<T>;
    } catch (error) {
      // A compare-and-set on a missing key is a failed precondition like any other (see Store.set).
      if (error instanceof NotFoundError)
        throw new ConflictError(`${key} does not exist (expected version ${version})`);
      throw error;
    }
  }

  async delete(key: string, version?: number): Promise<void> {
    this.assertUsable();
    await this.backend.commit([{ op: "delete", key, version }], this.sessionId);
  }

  async transaction(ops: TxOp[], lease?: Lease): Promise<void> {
    this.assertUsable();
    await this.backend.commit(ops, this.sessionId, lease);
  }

  async watch<T>(dir: string, listener: (event: WatchEvent<T>) => void): Promise<Watch<T>> {
    this.assertUsable();
    assertKey(dir);
    const { initial, watcher } = this.backend.watch(dir, listener as (event: WatchEvent) => void);
    this.watchers.add(watcher);
    return {
      initial: initial as Entry<T>[],
      stop: () => {
        this.backend.unwatch(watcher);
        this.watchers.delete(watcher);
      },
    };
  }

  onSession(listener: (state: SessionState) => void): () => void {
    this.sessionListeners.add(listener);
    return () => this.sessionListeners.delete(listener);
  }

  async campaign(name: string, candidate: string, handlers: CampaignHandlers): Promise<Candidacy> {
    this.assertUsable();
    const candidacy = new EmbeddedCandidacy(
      this.backend,
      () => this.sessionId,
      name,
      candidate,
      handlers,
      (resigned) => this.candidacies.delete(resigned),
    );
    this.candidacies.add(candidacy);
    candidacy.join();
    return candidacy;
  }

  async leader(name: string): Promise<string | undefined> {
    this.assertUsable();
    const dir = electionDir(name);
    await this.ownWritesCommitted();
    const [head] = this.backend.list<string>(dir);
    return head?.value;
  }

  async close(): Promise<void> {
    this.closeNow();
  }

  /**
   * Resigns candidacies, stops watches, ends the session (its ephemeral keys go, after every pending write is
   * committed) and reports `closed`.
   */
  closeNow(): void {
    if (this.state === "closed") return;
    for (const candidacy of [...this.candidacies]) candidacy.resignNow();
    for (const watcher of this.watchers) this.backend.unwatch(watcher);
    this.watchers.clear();
    this.backend.endSession(this.sessionId);
    this.backend.detach(this);
    this.setState("closed");
    this.sessionListeners.clear();
  }

  /** Called by the backend after it ended our session from outside: report it, then start over. */
  private sessionExpired(): void {
    for (const candidacy of this.candidacies) candidacy.sessionEnded();
    this.setState("expired");
    if (this.state === "closed") return; // a listener closed us on hearing of the expiry
    this.sessionId = this.backend.openSession(() => this.sessionExpired());
    this.setState("connected");
    for (const candidacy of this.candidacies) candidacy.join();
  }

  private setState(state: SessionState): void {
    this.state = state;
    for (const listener of [...this.sessionListeners]) {
      try {
        listener(state);
      } catch (error) {
        log.error({ err: error, state }, "session listener failed");
      }
    }
  }

  /** A read issued after a write of ours sees it, as on one ZooKeeper session: wait for its commit if pending. */
  private async ownWritesCommitted(): Promise<void> {
    const committed = this.backend.committedFor(this.sessionId);
    if (committed) await committed;
  }

  private assertUsable(): void {
    if (this.state === "closed") throw new UnavailableError("this store client is closed");
  }
}

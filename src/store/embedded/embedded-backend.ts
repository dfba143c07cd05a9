// The embedded store's backing object: one SQLite database per data directory, shared by the Store clients
// (sessions) of one process. Durable (WAL, synchronous=FULL), group-committed, locked against a second process.
import { mkdirSync, realpathSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { ConflictError, FencedError, NotFoundError, UnavailableError } from "../../core/errors.js";
import { logger } from "../../core/logger.js";
import {
  assertKey,
  baseName,
  childKey,
  type Entry,
  type Lease,
  type Page,
  type PageRequest,
  parentOf,
  type Store,
  type WatchEvent,
} from "../store.js";
import { EmbeddedStore } from "./embedded-store.js";
import { EntryTable, type StoredEntry } from "./entry-table.js";
import { DEFAULT_LIMITS, GroupCommit, type GroupCommitLimits } from "./group-commit.js";
import { jsonOf, type QueuedOp, queue, type WriteOp } from "./queued-op.js";
import { type Change, type Watcher, WatchHub } from "./watch-hub.js";

const log = logger("store.embedded");

/** Data directories open in this process: SQLite's lock keeps other processes out, this keeps us honest. */
const openDirs = new Set<string>();

export class EmbeddedBackend {
  private readonly hub = new WatchHub();
  private readonly commits: GroupCommit;
  /** Live sessions: id → what to tell the client when its session is ended from outside. */
  private readonly sessions = new Map<number, () => void>();
  private readonly clients = new Set<EmbeddedStore>();
  private nextSessionId = 1;
  private closed = false;

  private constructor(
    /** The data directory, resolved. */
    readonly dir: string,
    private readonly db: Database.Database,
    private readonly table: EntryTable,
    limits: GroupCommitLimits,
  ) {
    this.commits = new GroupCommit(db, (changes) => this.hub.publish(changes), limits);
  }

  /**
   * Opens (creating if needed) the store in `dir`. Ephemeral keys left by an earlier run are removed: their
   * sessions died with that process. Throws UnavailableError if another process (or this one) has `dir` open.
   */
  static open(dir: string, limits: GroupCommitLimits = DEFAULT_LIMITS): EmbeddedBackend {
    mkdirSync(dir, { recursive: true });
    const resolved = realpathSync(dir);
    if (openDirs.has(resolved)) {
      throw new UnavailableError(`data directory ${resolved} is already open in this process`);
    }
    // timeout 0: a lock held by another process will not go away by waiting, so fail at once.
    const db = new Database(join(resolved, "orchestra.db"), { timeout: 0 });
    try {
      // EXCLUSIVE before the first access: the connection holds the file lock until closed (the OS drops it
      // when the process dies, even by kill -9), and WAL needs no shared memory then.
      db.pragma("locking_mode = EXCLUSIVE");
      const mode = db.pragma("journal_mode = WAL", { simple: true });
      if (mode !== "wal") throw new Error(`SQLite refused WAL mode (got ${String(mode)})`);
      // FULL: fsync the WAL on every commit, so an acknowledged write survives a crash.
      db.pragma("synchronous = FULL");
      db.exec("BEGIN IMMEDIATE; COMMIT");
    } catch (error) {
      db.close();
      const code = (error as { code?: unknown }).code;
      if (typeof code === "string" && (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED"))) {
        throw new UnavailableError(
          `data directory ${resolved} is in use by another process (its database is locked)`,
        );
      }
      throw error;
    }
    const table = new EntryTable(db);
    const stale = table.removeAllEphemerals();
    if (stale > 0) log.info({ dir: resolved, keys: stale }, "removed ephemeral keys of an earlier run");
    openDirs.add(resolved);
    return new EmbeddedBackend(resolved, db, table, limits);
  }

  /** A new Store client with its own session. */
  connect(): EmbeddedStore {
    this.assertOpen();
    const client = new EmbeddedStore(this);
    this.clients.add(client);
    return client;
  }

  /**
   * Ends the client's current session from outside, as a crash would: its ephemeral keys (and so its
   * candidacies) go, then the client reports `expired`, opens a new session and reports `connected`.
   */
  expireSession(store: Store): void {
    if (!(store instanceof EmbeddedStore) || !this.clients.has(store)) {
      throw new TypeError("expireSession: not a live client of this backend");
    }
    const session = store.session;
    const onExpired = this.sessions.get(session);
    this.endSession(session);
    onExpired?.();
  }

  /** Commits the pending writes, closes every client (removing their ephemeral keys), then the database. */
  close(): void {
    if (this.closed) return;
    this.commits.flush();
    for (const client of [...this.clients]) client.closeNow();
    this.commits.flush();
    this.closed = true;
    this.db.close();
    openDirs.delete(this.dir);
  }

  // The methods below serve EmbeddedStore and its candidacies.

  openSession(onExpired: () => void): number {
    this.assertOpen();
    const id = this.nextSessionId++;
    this.sessions.set(id, onExpired);
    return id;
  }

  /**
   * Removes the session's ephemeral keys, committing with them every write still pending (the session's own
   * writes were issued before its end); watchers see a delete for each key.
   */
  endSession(session: number): void {
    if (!this.sessions.has(session) || this.closed) return;
    this.commits.submitNow(undefined, (changes) => {
      for (const key of this.table.ownedBy(session)) {
        this.table.remove(key);
        changes.push({ type: "delete", key });
      }
    });
    this.sessions.delete(session);
  }

  /** Resolves once `session`'s pending writes are committed (undefined if it has none), for read-your-writes. */
  committedFor(session: number): Promise<void> | undefined {
    return this.commits.committedFor(session);
  }

  detach(client: EmbeddedStore): void {
    this.clients.delete(client);
  }

  read<T>(key: string): Entry<T> | undefined {
    this.assertOpen();
    const row = this.table.get(key);
    return row && toEntry<T>(row);
  }

  list<T>(dir: string): Entry<T>[] {
    this.assertOpen();
    return this.table.children(dir).map((row) => toEntry<T>(row));
  }

  /** One page of the children of `dir`: one more row than asked tells whether more follow. */
  listPage<T>(dir: string, page: PageRequest): Page<T> {
    this.assertOpen();
    // Every child key starts with `dir/`, so keys after `dir/after` are exactly the children named after it.
    const afterKey = page.after === undefined ? "" : childKey(dir, page.after);
    const rows = this.table.childrenAfter(dir, afterKey, page.limit + 1);
    const entries = rows.slice(0, page.limit).map((row) => toEntry<T>(row));
    const last = entries[entries.length - 1];
    return rows.length > page.limit && last ? { entries, next: baseName(last.key) } : { entries };
  }

  count(dir: string): number {
    this.assertOpen();
    return this.table.childCount(dir);
  }

  /** Children of `dir` without parsing their values (for elections, which only need the order). */
  childKeys(dir: string): string[] {
    this.assertOpen();
    return this.table.children(dir).map((row) => row.key);
  }

  /** The listing of `dir` and a watcher registered at the same instant, so no change falls between. */
  watch(dir: string, listener: (event: WatchEvent) => void): { initial: Entry[]; watcher: Watcher } {
    const initial = this.list(dir);
    return { initial, watcher: this.hub.add(dir, listener) };
  }

  unwatch(watcher: Watcher): void {
    this.hub.remove(watcher);
  }

  /**
   * Creates `<prefix><10-digit number>`, the number never used before in this directory. Commits at once
   * (with the pending batch), as elections need the key before they go on.
   */
  createSequential(prefix: string, value: unknown, session: number, ephemeral: boolean): Entry {
    this.assertOpen();
    const { ops } = queue([{ op: "create", key: prefix, value, ephemeral }]);
    const op = ops[0] as QueuedOp & { op: "create" };
    return this.commits.submitNow(session, (changes) => {
      const sequence = this.table.nextSequence("sequential");
      const key = `${prefix}${String(sequence).padStart(10, "0")}`;
      return this.apply({ ...op, key }, session, changes) as Entry;
    });
  }

  /**
   * Applies all ops atomically, or none (the first failure throws and undoes the others), in the next group
   * commit; resolves once that commit returned. With a lease, its fence is checked first and its failure is a
   * FencedError. Resolves to the entry each create, set and put left behind (undefined for delete and check).
   */
  commit(ops: WriteOp[], session: number, lease?: Lease): Promise<(Entry | undefined)[]> {
    this.assertOpen();
    const { ops: queued, bytes } = queue(ops);
    return this.commits.submit(session, bytes, (changes) => this.applyAll(queued, session, lease, changes));
  }

  /** `commit`, committed now together with whatever is pending; returns or throws like a plain call. */
  commitNow(ops: WriteOp[], session: number, lease?: Lease): (Entry | undefined)[] {
    this.assertOpen();
    const { ops: queued } = queue(ops);
    return this.commits.submitNow(session, (changes) => this.applyAll(queued, session, lease, changes));
  }

  private applyAll(
    ops: QueuedOp[],
    session: number,
    lease: Lease | undefined,
    changes: Change[],
  ): (Entry | undefined)[] {
    if (lease) {
      try {
        this.apply(lease.fence, session, changes);
      } catch (error) {
        if (error instanceof ConflictError || error instanceof NotFoundError) {
          throw new FencedError(
            `leadership of election ${lease.election} by ${lease.candidate} is lost (${error.message})`,
          );
        }
        throw error;
      }
    }
    return ops.map((op) => this.apply(op, session, changes));
  }

  private apply(op: QueuedOp, session: number, changes: Change[]): Entry | undefined {
    assertKey(op.key);
    if (op.key === "/") throw new TypeError("the root key / cannot be written");
    const current = this.table.get(op.key);
    switch (op.op) {
      case "create": {
        if (current) throw new ConflictError(`${op.key} already exists`);
        // A session's writes are committed before its end (endSession flushes first); this only guards
        // against an ephemeral key that no session would ever remove.
        if (op.ephemeral && !this.sessions.has(session)) {
          throw new UnavailableError(`session ${session} has ended; ${op.key} not created`);
        }
        return this.insert(op.key, jsonOf(op), op.ephemeral ? session : null, changes);
      }
      case "put": {
        if (!current) return this.insert(op.key, jsonOf(op), null, changes);
        return this.update(current, jsonOf(op), changes);
      }
      case "set": {
        this.expect(op.key, current, op.version);
        return this.update(current as StoredEntry, jsonOf(op), changes);
      }
      case "delete": {
        this.expect(op.key, current, op.version);
        if (this.table.hasChildren(op.key)) throw new ConflictError(`${op.key} has children`);
        this.table.remove(op.key);
        changes.push({ type: "delete", key: op.key });
        return undefined;
      }
      case "check": {
        this.expect(op.key, current, op.version);
        return undefined;
      }
      default: {
        const unknownOp: never = op;
        throw new TypeError(`unknown transaction op ${JSON.stringify(unknownOp)}`);
      }
    }
  }

  /** Throws NotFoundError if the key is missing, ConflictError if `version` is given and differs. */
  private expect(key: string, current: StoredEntry | undefined, version: number | undefined): void {
    if (!current) throw new NotFoundError(`${key} does not exist`);
    if (version !== undefined && current.version !== version) {
      throw new ConflictError(`${key} is at version ${current.version}, not ${version}`);
    }
  }

  private insert(key: string, json: string, owner: number | null, changes: Change[]): Entry {
    this.createParents(key, changes);
    this.table.insert(key, json, owner);
    changes.push({ type: "put", key, json, version: 0 });
    return { key, value: JSON.parse(json), version: 0 };
  }

  private update(current: StoredEntry, json: string, changes: Change[]): Entry {
    const version = current.version + 1;
    this.table.update(current.key, json, version);
    changes.push({ type: "put", key: current.key, json, version });
    return { key: current.key, value: JSON.parse(json), version };
  }

  /** Creates missing ancestors (value null, version 0), top-down; refuses to put children under an ephemeral. */
  private createParents(key: string, changes: Change[]): void {
    const missing: string[] = [];
    for (let dir = parentOf(key); dir !== "/"; dir = parentOf(dir)) {
      const existing = this.table.get(dir);
      if (existing) {
        if (existing.owner !== null) throw new ConflictError(`${dir} is ephemeral and cannot have children`);
        break;
      }
      missing.push(dir);
    }
    for (const dir of missing.reverse()) {
      this.table.insert(dir, "null", null);
      changes.push({ type: "put", key: dir, json: "null", version: 0 });
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new UnavailableError(`the embedded store in ${this.dir} is closed`);
  }
}

function toEntry<T>(row: StoredEntry): Entry<T> {
  return { key: row.key, value: JSON.parse(row.json) as T, version: row.version };
}

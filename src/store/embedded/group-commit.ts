// Group commit for the embedded store: the writes that all clients of one backend issue within one turn of the
// event loop share one SQLite transaction (one fsync), each in its own savepoint so that a failing write fails alone.
import type Database from "better-sqlite3";
import type { Change } from "./watch-hub.js";

/** When a batch is committed at once instead of at the end of the turn, so one turn cannot grow it unbounded. */
export interface GroupCommitLimits {
  /** Writes (Store calls) per batch. */
  maxWrites: number;
  /** Approximate bytes (JSON values and keys) per batch. */
  maxBytes: number;
}

export const DEFAULT_LIMITS: GroupCommitLimits = { maxWrites: 1000, maxBytes: 8 * 1024 * 1024 };

/**
 * One write: `run` applies it inside its savepoint, appending the changes it made to `changes`, and returns its
 * result or throws its error. `session` is the session that issued it (for reads that must see it).
 */
interface PendingWrite {
  readonly session: number | undefined;
  readonly run: (changes: Change[]) => unknown;
  changes: Change[];
  failed: boolean;
  /** The result, or the error when `failed`. */
  outcome: unknown;
  settle?: (write: PendingWrite) => void;
}

export class GroupCommit {
  private pending: PendingWrite[] = [];
  private pendingBytes = 0;
  /** Sessions with a write in `pending`: their reads wait for the batch, so a client reads its own writes. */
  private readonly pendingSessions = new Set<number>();
  private committed: (() => void)[] = [];
  private scheduled = false;
  private readonly inSavepoint: (write: PendingWrite) => unknown;
  private readonly inTransaction: (batch: PendingWrite[]) => void;

  constructor(
    private readonly db: Database.Database,
    /** Receives the changes of the committed writes, in commit order, right after the commit returned. */
    private readonly publish: (changes: Change[]) => void,
    private readonly limits: GroupCommitLimits = DEFAULT_LIMITS,
  ) {
    // better-sqlite3 runs a transaction function called inside another one as SAVEPOINT … RELEASE, and on a
    // throw as ROLLBACK TO + RELEASE before rethrowing: the write's own effects go, the batch goes on.
    this.inSavepoint = db.transaction((write: PendingWrite) => write.run(write.changes));
    this.inTransaction = db.transaction((batch: PendingWrite[]) => {
      for (const write of batch) {
        try {
          write.outcome = this.inSavepoint(write);
        } catch (error) {
          // Some SQLite errors (SQLITE_FULL, SQLITE_IOERR, …) roll back the whole transaction by themselves:
          // nothing of the batch is left to commit, so it fails as a whole.
          if (!this.db.inTransaction) throw error;
          write.failed = true;
          write.outcome = error;
          write.changes = [];
        }
      }
    });
  }

  /**
   * Queues a write for the current batch; the promise settles only after the commit that holds it returned
   * (so an acknowledged write is on disk). Writes commit in the order they were submitted.
   */
  submit<R>(session: number | undefined, bytes: number, run: (changes: Change[]) => R): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const settle = (write: PendingWrite) => {
        if (write.failed) reject(write.outcome);
        else resolve(write.outcome as R);
      };
      this.add({ session, run, changes: [], failed: false, outcome: undefined, settle }, bytes);
      if (this.pending.length >= this.limits.maxWrites || this.pendingBytes >= this.limits.maxBytes) {
        this.flush();
      } else if (!this.scheduled) {
        // setImmediate, not queueMicrotask: Node drains microtasks after every I/O callback, so a microtask
        // would commit each HTTP request's write alone. The check phase comes after all the I/O callbacks of
        // this loop iteration (every request that arrived together), and before any timer wait.
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.flush();
        });
      }
    });
  }

  /** Commits the pending batch with this write at its end, now; returns the write's result or throws its error. */
  submitNow<R>(session: number | undefined, run: (changes: Change[]) => R): R {
    const write: PendingWrite = { session, run, changes: [], failed: false, outcome: undefined };
    this.add(write, 0);
    this.flush();
    if (write.failed) throw write.outcome;
    return write.outcome as R;
  }

  /** Resolves once the batch holding `session`'s pending writes is committed; undefined if it has none. */
  committedFor(session: number): Promise<void> | undefined {
    if (!this.pendingSessions.has(session)) return undefined;
    return new Promise((resolve) => this.committed.push(resolve));
  }

  /** Commits every pending write now and settles its promise. */
  flush(): void {
    const batch = this.pending;
    if (batch.length === 0) return;
    const waiting = this.committed;
    this.pending = [];
    this.pendingBytes = 0;
    this.pendingSessions.clear();
    this.committed = [];
    try {
      this.inTransaction(batch);
    } catch (error) {
      // The commit itself failed: no write of the batch is durable. A write that had failed on its own keeps
      // its own error; the others get the commit's.
      for (const write of batch) {
        if (!write.failed) {
          write.failed = true;
          write.outcome = error;
        }
      }
    }
    const changes: Change[] = [];
    for (const write of batch) {
      if (!write.failed) for (const change of write.changes) changes.push(change);
    }
    if (changes.length > 0) this.publish(changes);
    for (const write of batch) write.settle?.(write);
    for (const resolve of waiting) resolve();
  }

  private add(write: PendingWrite, bytes: number): void {
    this.pending.push(write);
    this.pendingBytes += bytes;
    if (write.session !== undefined) this.pendingSessions.add(write.session);
  }
}

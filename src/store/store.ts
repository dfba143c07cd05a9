// The Store: all cluster state, one JSON object per key, versioned for optimistic concurrency.
// Components talk to each other only through it. Implementations: embedded/ (SQLite) and zookeeper/.

/**
 * Keys are absolute paths of segments of [A-Za-z0-9._-]: `/deployments/web`, `/pods/<id>`.
 * A "directory" is a key prefix: `list('/pods')` returns the direct children of `/pods`.
 */
export interface Entry<T = unknown> {
  key: string;
  value: T;
  /** 0 on create, +1 on every set. A write that names a version succeeds only if it still matches. */
  version: number;
}

export type TxOp =
  | { op: "create"; key: string; value: unknown; ephemeral?: boolean }
  /** `version` omitted: write whatever the current version is (the key must exist). */
  | { op: "set"; key: string; value: unknown; version?: number }
  | { op: "delete"; key: string; version?: number }
  /** Fails the transaction unless `key` exists at exactly `version`. */
  | { op: "check"; key: string; version: number };

export type WatchEvent<T = unknown> =
  | { type: "put"; key: string; value: T; version: number }
  | { type: "delete"; key: string };

/** Which part of a directory `listPage` reads: children after `after` (a child's name), at most `limit`. */
export interface PageRequest {
  /** Only children whose name sorts after this one (omitted: from the first). */
  after?: string;
  /** At most this many entries, 1 or more. */
  limit: number;
}

export interface Page<T = unknown> {
  /** The children in key order; one that vanished while being read is left out. */
  entries: Entry<T>[];
  /** Set when more children follow: the name the next page starts after (that of the last child read). */
  next?: string;
}

export interface Watch<T = unknown> {
  /** The children of the watched directory when the watch started; events follow from there on. */
  readonly initial: Entry<T>[];
  stop(): void;
}

/**
 * connected: the session is live. disconnected: the connection dropped; the session may still be
 * alive and ephemeral keys still held. expired: the session is gone with its ephemeral keys and
 * leaderships; the client opens a new session by itself and reports `connected` again, after which
 * the owner re-creates what it needs. closed: `close()` was called.
 */
export type SessionState = "connected" | "disconnected" | "expired" | "closed";

/** Proof of leadership. Its check op, added to a transaction, makes the write fail once deposed. */
export interface Lease {
  readonly election: string;
  readonly candidate: string;
  readonly fence: TxOp;
}

export interface CampaignHandlers {
  /** This candidate now leads. Writes it makes as leader go through `transaction(ops, lease)`. */
  elected(lease: Lease): void;
  /** Leadership is lost (session expired, resigned, or the store said so). Stop acting at once. */
  deposed(): void;
}

export interface Candidacy {
  readonly leading: boolean;
  /** Leave the election (and leadership, if held). */
  resign(): Promise<void>;
}

export interface Store {
  readonly sessionState: SessionState;
  get<T>(key: string): Promise<Entry<T> | undefined>;
  /** Direct children of `dir`, sorted by key. */
  list<T>(dir: string): Promise<Entry<T>[]>;
  /**
   * One page of the direct children of `dir`, in key order: reads only the values of that page, so a listing
   * in pages of a large directory costs each request a page's worth. A missing `dir` is an empty page.
   */
  listPage<T>(dir: string, page: PageRequest): Promise<Page<T>>;
  /** How many direct children `dir` has (0 when it is missing), without reading them. */
  count(dir: string): Promise<number>;
  /** Fails with ConflictError if the key exists. Missing parents are created. Ephemeral keys end with the session. */
  create<T>(key: string, value: T, options?: { ephemeral?: boolean }): Promise<Entry<T>>;
  /**
   * With `version`: compare-and-set, ConflictError unless the key is at that version.
   * Without: create or overwrite.
   */
  set<T>(key: string, value: T, version?: number): Promise<Entry<T>>;
  /** NotFoundError if missing; ConflictError if `version` is given and differs. */
  delete(key: string, version?: number): Promise<void>;
  /**
   * All ops or none. A failed create/set/delete/check rejects with ConflictError (NotFoundError for a
   * missing key) naming the key; a failed lease check rejects with FencedError.
   */
  transaction(ops: TxOp[], lease?: Lease): Promise<void>;
  /**
   * Watch the direct children of `dir`. Every create, change and delete after `initial` is delivered,
   * in order per key; a burst of changes to one key may be coalesced, but the last event for a key
   * always carries its latest value and version.
   */
  watch<T>(dir: string, listener: (event: WatchEvent<T>) => void): Promise<Watch<T>>;
  /** Listen for session state changes; returns a function that stops listening. */
  onSession(listener: (state: SessionState) => void): () => void;
  /**
   * Join the election `name` as `candidate`. At most one candidate leads at a time; when it leaves
   * (resigns, closes, or its session ends) the next one in line is elected. After a session expiry
   * the client re-joins the election by itself.
   */
  campaign(name: string, candidate: string, handlers: CampaignHandlers): Promise<Candidacy>;
  /** The candidate that currently leads `name`, if any. */
  leader(name: string): Promise<string | undefined>;
  /** End the session: ephemeral keys are removed, candidacies resigned, watches stopped. */
  close(): Promise<void>;
}

const SEGMENT = /^[A-Za-z0-9._-]+$/;

/** Throws unless `key` is an absolute path of valid segments. */
export function assertKey(key: string): void {
  if (key === "/") return;
  const parts = key.split("/");
  if (
    parts.length < 2 ||
    parts[0] !== "" ||
    parts.slice(1).some((p) => !SEGMENT.test(p) || p === "." || p === "..")
  ) {
    throw new TypeError(`invalid store key ${JSON.stringify(key)}`);
  }
}

/** Throws unless `dir` is a valid key, `after` (if given) a valid key segment and `limit` a positive integer. */
export function assertPage(dir: string, page: PageRequest): void {
  assertKey(dir);
  if (page.after !== undefined) {
    if (page.after === "" || page.after.includes("/"))
      throw new TypeError(`invalid page start ${JSON.stringify(page.after)}`);
    assertKey(`/${page.after}`);
  }
  if (!Number.isInteger(page.limit) || page.limit < 1) {
    throw new TypeError(`invalid page limit ${JSON.stringify(page.limit)}`);
  }
}

/** `/a/b/c` → `/a/b`. */
export function parentOf(key: string): string {
  const i = key.lastIndexOf("/");
  return i <= 0 ? "/" : key.slice(0, i);
}

/** `/a/b/c` → `c`. */
export function baseName(key: string): string {
  return key.slice(key.lastIndexOf("/") + 1);
}

export function childKey(dir: string, name: string): string {
  return dir === "/" ? `/${name}` : `${dir}/${name}`;
}

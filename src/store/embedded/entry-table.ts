// SQLite rows of the embedded store: one row per key with its JSON value, version and, for an ephemeral key,
// the session that owns it. Plain synchronous reads and writes; transactions and rules live in the backend.
import type Database from "better-sqlite3";
import { parentOf } from "../store.js";

/** A row as stored: the value stays JSON text until someone reads it. */
export interface StoredEntry {
  key: string;
  json: string;
  version: number;
  /** Session id of the owner of an ephemeral key; null for a persistent key. */
  owner: number | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS entries (
  key     TEXT PRIMARY KEY,
  parent  TEXT NOT NULL,
  json    TEXT NOT NULL,
  version INTEGER NOT NULL,
  owner   INTEGER
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS entries_by_parent ON entries (parent, key);
CREATE INDEX IF NOT EXISTS entries_by_owner ON entries (owner) WHERE owner IS NOT NULL;
CREATE TABLE IF NOT EXISTS counters (
  name  TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
`;

export class EntryTable {
  private readonly selectOne;
  private readonly selectChildren;
  private readonly selectChildrenAfter;
  private readonly countChildren;
  private readonly selectFirstChild;
  private readonly selectOwned;
  private readonly insertRow;
  private readonly updateRow;
  private readonly deleteRow;
  private readonly deleteEphemerals;
  private readonly bumpCounter;

  constructor(db: Database.Database) {
    db.exec(SCHEMA);
    this.selectOne = db.prepare<[string], StoredEntry>(
      "SELECT key, json, version, owner FROM entries WHERE key = ?",
    );
    this.selectChildren = db.prepare<[string], StoredEntry>(
      "SELECT key, json, version, owner FROM entries WHERE parent = ? ORDER BY key",
    );
    this.selectChildrenAfter = db.prepare<[string, string, number], StoredEntry>(
      "SELECT key, json, version, owner FROM entries WHERE parent = ? AND key > ? ORDER BY key LIMIT ?",
    );
    this.countChildren = db.prepare<[string], { n: number }>(
      "SELECT COUNT(*) AS n FROM entries WHERE parent = ?",
    );
    this.selectFirstChild = db.prepare<[string], { key: string }>(
      "SELECT key FROM entries WHERE parent = ? LIMIT 1",
    );
    this.selectOwned = db.prepare<[number], { key: string }>(
      "SELECT key FROM entries WHERE owner = ? ORDER BY key",
    );
    this.insertRow = db.prepare<[string, string, string, number | null]>(
      "INSERT INTO entries (key, parent, json, version, owner) VALUES (?, ?, ?, 0, ?)",
    );
    this.updateRow = db.prepare<[string, number, string]>(
      "UPDATE entries SET json = ?, version = ? WHERE key = ?",
    );
    this.deleteRow = db.prepare<[string]>("DELETE FROM entries WHERE key = ?");
    this.deleteEphemerals = db.prepare("DELETE FROM entries WHERE owner IS NOT NULL");
    this.bumpCounter = db.prepare<[string], { value: number }>(
      "INSERT INTO counters (name, value) VALUES (?, 1) ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value",
    );
  }

  get(key: string): StoredEntry | undefined {
    return this.selectOne.get(key);
  }

  /** Direct children of `dir`, sorted by key. */
  children(dir: string): StoredEntry[] {
    return this.selectChildren.all(dir);
  }

  /** At most `limit` direct children of `dir` whose key sorts after `afterKey`, sorted by key (the index's order). */
  childrenAfter(dir: string, afterKey: string, limit: number): StoredEntry[] {
    return this.selectChildrenAfter.all(dir, afterKey, limit);
  }

  childCount(dir: string): number {
    return this.countChildren.get(dir)?.n ?? 0;
  }

  hasChildren(key: string): boolean {
    return this.selectFirstChild.get(key) !== undefined;
  }

  /** Keys of the ephemeral entries that `session` owns. */
  ownedBy(session: number): string[] {
    return this.selectOwned.all(session).map((row) => row.key);
  }

  insert(key: string, json: string, owner: number | null): void {
    this.insertRow.run(key, parentOf(key), json, owner);
  }

  update(key: string, json: string, version: number): void {
    this.updateRow.run(json, version, key);
  }

  remove(key: string): void {
    this.deleteRow.run(key);
  }

  /** Drops every ephemeral entry; their sessions died with the process that made them. Returns how many. */
  removeAllEphemerals(): number {
    return this.deleteEphemerals.run().changes;
  }

  /** A number never handed out before in this data directory (sequential keys, like ZooKeeper's). */
  nextSequence(name: string): number {
    const row = this.bumpCounter.get(name);
    if (!row) throw new Error(`counter ${name} returned no row`);
    return row.value;
  }
}

// Promise forms of the node-zookeeper-client calls the store makes, plus the helpers that read its errors.
// Callers map ZooKeeper error codes to Orchestra's errors.
import {
  type ACL,
  type Client,
  type Event,
  Exception,
  type Stat,
  type Transaction,
} from "node-zookeeper-client";
import { znodeAcls } from "./zookeeper-auth.js";

export type Watcher = (event: Event) => void;

/** The result of each op of a multi, as the client decodes it: `err` is set on a failed commit. */
export interface MultiResult {
  type: number;
  err?: number;
}

/** The ZooKeeper error code of a failed call, if it is one. */
export function zkCode(error: unknown): number | undefined {
  if (error instanceof Exception) return error.getCode();
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "number" ? code : undefined;
}

/** Codes after which the outcome is unknown or the session is gone: the caller may retry later. */
export function isConnectionCode(code: number | undefined): boolean {
  return (
    code === Exception.CONNECTION_LOSS ||
    code === Exception.SESSION_EXPIRED ||
    code === Exception.OPERATION_TIMEOUT
  );
}

export function getData(
  client: Client,
  path: string,
  watcher?: Watcher,
): Promise<{ data: Buffer; stat: Stat }> {
  return new Promise((resolve, reject) => {
    const done = (error: Error | Exception | null, data: Buffer, stat: Stat) =>
      error ? reject(error) : resolve({ data: data ?? Buffer.alloc(0), stat });
    if (watcher) client.getData(path, watcher, done);
    else client.getData(path, done);
  });
}

export function getChildren(client: Client, path: string, watcher?: Watcher): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const done = (error: Error | Exception | null, children: string[]) =>
      error ? reject(error) : resolve(children);
    if (watcher) client.getChildren(path, watcher, done);
    else client.getChildren(path, done);
  });
}

/** The node's stat, or null when it does not exist (a watcher then fires on its creation). */
export function exists(client: Client, path: string, watcher?: Watcher): Promise<Stat | null> {
  return new Promise((resolve, reject) => {
    const done = (error: Error | Exception | null, stat: Stat) =>
      error ? reject(error) : resolve(stat ?? null);
    if (watcher) client.exists(path, watcher, done);
    else client.exists(path, done);
  });
}

/**
 * Creates a node; resolves to its actual path (which differs for sequential nodes). The store always passes its
 * session's `acls` (see zookeeper-auth.ts); the open default is for tests of the client itself.
 */
export function create(
  client: Client,
  path: string,
  data: Buffer,
  mode: number,
  acls: ACL[] = znodeAcls(undefined),
): Promise<string> {
  return new Promise((resolve, reject) => {
    client.create(path, data, acls, mode, (error, created) => (error ? reject(error) : resolve(created)));
  });
}

/** The ACL of a node. */
export function getAcl(client: Client, path: string): Promise<ACL[]> {
  return new Promise((resolve, reject) => {
    client.getACL(path, (error, acls) => (error ? reject(error) : resolve(acls)));
  });
}

/** `version` -1 writes whatever the current version is. */
export function setData(client: Client, path: string, data: Buffer, version: number): Promise<Stat> {
  return new Promise((resolve, reject) => {
    client.setData(path, data, version, (error, stat) => (error ? reject(error) : resolve(stat)));
  });
}

export function remove(client: Client, path: string, version: number): Promise<void> {
  return new Promise((resolve, reject) => {
    client.remove(path, version, (error) => (error ? reject(error) : resolve()));
  });
}

/**
 * Commits a multi. On failure, resolves with the error and the per-op results so that the caller can tell
 * which op failed; rejects only when there are no results (e.g. the connection was lost).
 */
export function commit(transaction: Transaction): Promise<{ error?: unknown; results: MultiResult[] }> {
  return new Promise((resolve, reject) => {
    // The client types the results as any: each is { type, err? } (see MultiResult).
    transaction.commit((error, results: MultiResult[] | undefined) => {
      if (error && !Array.isArray(results)) reject(error);
      else resolve({ error: error ?? undefined, results: results ?? [] });
    });
  });
}

/** The session id as ZooKeeper prints it (`0x` and hex, as in the server's `dump`). */
export function sessionIdText(client: Client): string {
  const id = client.getSessionId();
  return `0x${id.readBigUInt64BE(0).toString(16)}`;
}

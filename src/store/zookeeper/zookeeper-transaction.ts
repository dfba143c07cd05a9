// Store.transaction on ZooKeeper: one multi-op request, all or nothing. Missing parents of created keys go
// into the same multi (so a failed transaction leaves no trace), and a failed op is reported by its key.
import { type Client, CreateMode, Exception } from "node-zookeeper-client";
import { FencedError } from "../../core/errors.js";
import type { Lease, TxOp } from "../store.js";
import * as zk from "./client-calls.js";
import { encode, NULL_DATA } from "./znode-data.js";
import type { ZooKeeperSession } from "./zookeeper-session.js";

/** What the transaction needs from the store. */
export interface TransactionContext {
  session: ZooKeeperSession;
  /** Store key → znode path. */
  path(key: string): string;
  /** Maps a ZooKeeper error code about `key` to the store's error. */
  error(code: number | undefined, key: string, version?: number): Error;
  /** A write under `lease` failed its fence. */
  fenced(lease: Lease): void;
}

/** An op of the multi as sent: one of the caller's, or a parent created for the caller's op `origin`. */
interface PlannedOp {
  op: TxOp;
  origin: number;
  parent: boolean;
}

/** Retries when parents appear or vanish between our look and the commit. */
const MAX_ATTEMPTS = 5;

export async function commitTransaction(ctx: TransactionContext, ops: TxOp[], lease?: Lease): Promise<void> {
  // The fence goes first, so that a deposed leader always learns that it is fenced.
  const all = lease ? [lease.fence, ...ops] : ops;
  if (all.length === 0) return;
  const data = all.map((op) => (op.op === "create" || op.op === "set" ? encode(op.value) : NULL_DATA));
  let missingParents = new Map<number, string[]>();
  for (let attempt = 1; ; attempt++) {
    const planned = plan(all, missingParents);
    const { error, results } = await ctx.session.run((client) =>
      zk.commit(build(client, ctx, planned, (p) => (p.parent ? NULL_DATA : (data[p.origin] ?? NULL_DATA)))),
    );
    if (!error) return;
    const index = results.findIndex((r) => r.err !== undefined && r.err !== Exception.OK);
    const failed = planned[index];
    const code = results[index]?.err ?? zk.zkCode(error);
    if (!failed) throw ctx.error(code, all[0]?.key ?? "/");
    if (lease && failed.origin === 0) {
      ctx.fenced(lease);
      throw new FencedError(`${lease.candidate} no longer leads ${lease.election}: its write was fenced`);
    }
    const parentsChanged =
      (code === Exception.NO_NODE && failed.op.op === "create") ||
      (code === Exception.NODE_EXISTS && failed.parent);
    if (parentsChanged && attempt < MAX_ATTEMPTS) {
      missingParents = await findMissingParents(ctx, all);
      continue;
    }
    const original = all[failed.origin] as TxOp;
    throw ctx.error(code, original.key, "version" in original ? original.version : undefined);
  }
}

/** The caller's ops in order, each create preceded by creates of its missing parents (once each). */
function plan(ops: TxOp[], missingParents: Map<number, string[]>): PlannedOp[] {
  const planned: PlannedOp[] = [];
  const createdHere = new Set<string>();
  ops.forEach((op, origin) => {
    if (op.op === "create") {
      for (const key of missingParents.get(origin) ?? []) {
        if (createdHere.has(key)) continue;
        createdHere.add(key);
        planned.push({ op: { op: "create", key, value: null }, origin, parent: true });
      }
      createdHere.add(op.key);
    }
    planned.push({ op, origin, parent: false });
  });
  return planned;
}

/** For each create op, the ancestors of its key that do not exist now, outermost first. */
async function findMissingParents(ctx: TransactionContext, ops: TxOp[]): Promise<Map<number, string[]>> {
  const exists = new Map<string, Promise<boolean>>();
  const check = (key: string) => {
    let known = exists.get(key);
    if (!known) {
      known = ctx.session.run(async (client) => (await zk.exists(client, ctx.path(key))) !== null);
      exists.set(key, known);
    }
    return known;
  };
  const missing = new Map<number, string[]>();
  await Promise.all(
    ops.map(async (op, origin) => {
      if (op.op !== "create") return;
      const ancestors = ancestorsOf(op.key);
      const present = await Promise.all(ancestors.map(check));
      missing.set(
        origin,
        ancestors.filter((_, i) => !present[i]),
      );
    }),
  );
  return missing;
}

/** `/a/b/c` → [`/a`, `/a/b`]. */
function ancestorsOf(key: string): string[] {
  const parts = key.split("/").slice(1, -1);
  return parts.map((_, i) => `/${parts.slice(0, i + 1).join("/")}`);
}

function build(
  client: Client,
  ctx: TransactionContext,
  planned: PlannedOp[],
  dataOf: (p: PlannedOp) => Buffer,
) {
  const transaction = client.transaction();
  for (const p of planned) {
    const { op } = p;
    const path = ctx.path(op.key);
    const version = "version" in op && op.version !== undefined ? op.version : -1;
    switch (op.op) {
      case "create":
        transaction.create(
          path,
          dataOf(p),
          ctx.session.acls,
          op.ephemeral ? CreateMode.EPHEMERAL : CreateMode.PERSISTENT,
        );
        break;
      case "set":
        transaction.setData(path, dataOf(p), version);
        break;
      case "delete":
        transaction.remove(path, version);
        break;
      case "check":
        transaction.check(path, version);
        break;
    }
  }
  return transaction;
}

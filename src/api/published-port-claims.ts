// Published ports are unique across the cluster: a deployment holds each of its published ports by a claim
// key in the store (`/publishedports/<port>-<protocol>`), created in the same transaction as the deployment
// write. Two deploys racing for one port both try to create the key; one transaction wins, the other
// re-reads, finds the claim and answers 409 naming the deployment that holds it.
import { ConflictError } from "../core/errors.js";
import { type PublishedPort, publishedPortName, publishedPortsOf } from "../core/published-ports.js";
import type { DeploymentSpec } from "../core/types.js";
import { keys } from "../store/keys.js";
import type { Entry, Store, TxOp } from "../store/store.js";

/** What a claim key holds. */
export interface PortClaim {
  deployment: string;
  publishedPort: number;
  protocol: "tcp" | "udp";
}

/** Every claim in the cluster, by key. */
export type Claims = ReadonlyMap<string, Entry<PortClaim>>;

export async function readClaims(store: Pick<Store, "list">): Promise<Claims> {
  const entries = await store.list<PortClaim>(keys.publishedPorts);
  return new Map(entries.map((e) => [e.key, e]));
}

const claimKey = (port: PublishedPort) => keys.publishedPort(port.publishedPort, port.protocol);

/** Throws a ConflictError when another deployment holds one of the ports `spec` publishes. */
export function checkClaims(spec: Pick<DeploymentSpec, "name" | "ports">, claims: Claims): void {
  for (const port of publishedPortsOf(spec.ports)) {
    const holder = claims.get(claimKey(port))?.value.deployment;
    if (holder !== undefined && holder !== spec.name) {
      throw new ConflictError(
        `published port ${publishedPortName(port)} is already taken by deployment ${holder}`,
      );
    }
  }
}

/**
 * The ops that make `name`'s claims match `wanted` (none when the deployment goes): create the missing
 * ones (a create fails if another writer got there first), delete those it holds and no longer wants (at
 * the version read).
 */
export function claimOps(name: string, wanted: readonly PublishedPort[], claims: Claims): TxOp[] {
  const ops: TxOp[] = [];
  const wantedKeys = new Set<string>();
  for (const port of wanted) {
    const key = claimKey(port);
    wantedKeys.add(key);
    if (claims.has(key)) continue;
    const value: PortClaim = { deployment: name, publishedPort: port.publishedPort, protocol: port.protocol };
    ops.push({ op: "create", key, value });
  }
  for (const [key, entry] of claims) {
    if (entry.value.deployment === name && !wantedKeys.has(key)) {
      ops.push({ op: "delete", key, version: entry.version });
    }
  }
  return ops;
}

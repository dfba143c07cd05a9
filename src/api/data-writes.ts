// Creating, updating and deleting configs and secrets, each in one compare-and-set transaction with what it
// implies: an update writes the new version's data, moves every deployment that uses it to that version (a new
// revision hash, so the controller rolls each out with its strategy and automatic rollback) and drops the
// oldest kept version; a delete is refused while a deployment uses it and takes every version with it.
import type { Clock } from "../core/clock.js";
import { dataBytes } from "../core/data-rules.js";
import { ConflictError, NotFoundError, UnavailableError } from "../core/errors.js";
import { podTemplateOf, revisionHash } from "../core/revision.js";
import { DATA_VERSIONS_KEPT } from "../core/schemas/config-secret.js";
import type { Deployment, SecretData, StoredSecret } from "../core/types.js";
import { openSecretData, sealSecretData } from "../secrets/secret-data.js";
import type { SecretKeyRing } from "../secrets/secret-key-ring.js";
import { compareAndSet, DELETE, keyOps, NO_CHANGE } from "../store/compare-and-set.js";
import { keys } from "../store/keys.js";
import { baseName, type Entry, type TxOp } from "../store/store.js";
import { DATA_KEYS, type DataKind, type StoredData, usersOf } from "./data-objects.js";
import type { ApiStore } from "./deadline-store.js";
import type { Precondition } from "./precondition.js";

export interface DataWriteResult {
  stored: StoredData;
  /** The deployments that use it: after an update, each is rolling out to the new version. */
  usedBy: string[];
  created: boolean;
}

/** A secret cannot be written (nor re-encrypted) by an API server without the key. */
export function requireKeyRing(ring: SecretKeyRing | undefined): SecretKeyRing {
  if (!ring) {
    throw new UnavailableError(
      "secrets: this API server has no secrets key; start it with --secrets-key-file (orchestra up makes one)",
    );
  }
  return ring;
}

/** Creates or updates `name` with `data` (key → base64), which the schema has checked. */
export async function writeData(
  store: ApiStore,
  kind: DataKind,
  name: string,
  data: Record<string, string>,
  precondition: Precondition,
  options: { ring?: SecretKeyRing; clock: Clock },
): Promise<DataWriteResult> {
  const ring = kind === "secret" ? requireKeyRing(options.ring) : undefined;
  const dataKeys = DATA_KEYS[kind];
  let deployments: Entry<Deployment>[] = [];
  const { before, after } = await compareAndSet<StoredData, Entry<Deployment>[]>(
    store,
    dataKeys.key(name),
    (current) => {
      checkDataPrecondition(kind, name, precondition, current?.value);
      const now = new Date(options.clock.now()).toISOString();
      return {
        name,
        version: (current?.value.version ?? 0) + 1,
        keys: Object.keys(data).sort(),
        size: dataBytes(data),
        ...(ring ? { keyId: ring.primaryId } : {}),
        createdAt: current?.value.createdAt ?? now,
        updatedAt: now,
      };
    },
    {
      clock: options.clock,
      context: async () => {
        deployments = await store.list<Deployment>(keys.deployments);
        return deployments;
      },
      ops: (key, decision, current, context) => {
        if (decision === DELETE) return keyOps(key, decision, current);
        const version = decision.version;
        const stored = ring ? sealSecretData(ring, name, version, data) : { data };
        const ops: TxOp[] = [
          ...keyOps(key, decision, current),
          { op: "create", key: dataKeys.version(name, version), value: stored },
        ];
        // Versions are written one after the other and pruned in the same transaction: exactly the newest are kept.
        if (version > DATA_VERSIONS_KEPT)
          ops.push({ op: "delete", key: dataKeys.version(name, version - DATA_VERSIONS_KEPT) });
        const now = decision.updatedAt;
        for (const entry of context) {
          const moved = withVersion(entry.value, kind, name, version, now);
          if (moved) ops.push({ op: "set", key: entry.key, value: moved, version: entry.version });
        }
        return ops;
      },
    },
  );
  return {
    stored: after?.value as StoredData,
    usedBy: usersOf(
      deployments.map((entry) => entry.value),
      kind,
      name,
    ),
    created: before === undefined,
  };
}

/** Deletes `name` and every version of its data; 409 while a deployment's template uses it. */
export async function deleteData(
  store: ApiStore,
  kind: DataKind,
  name: string,
  precondition: Precondition,
  clock: Clock,
): Promise<StoredData> {
  const dataKeys = DATA_KEYS[kind];
  const { before } = await compareAndSet<StoredData, { users: string[]; versions: string[] }>(
    store,
    dataKeys.key(name),
    (current, { users }) => {
      if (!current) throw new NotFoundError(`${kind} ${name} not found`);
      checkDataPrecondition(kind, name, precondition, current.value);
      if (users.length > 0) {
        throw new ConflictError(
          `${kind} ${name} is used by ${plural(users.length, "deployment")} ${users.join(", ")}: remove it from their templates first`,
        );
      }
      return DELETE;
    },
    {
      clock,
      context: async () => {
        const [deployments, versions] = await Promise.all([
          store.list<Deployment>(keys.deployments),
          store.list(dataKeys.versions(name)),
        ]);
        return {
          users: usersOf(
            deployments.map((entry) => entry.value),
            kind,
            name,
          ),
          versions: versions.map((entry) => entry.key),
        };
      },
      ops: (key, decision, current, { versions }) => [
        ...keyOps(key, decision, current),
        ...versions.map((version): TxOp => ({ op: "delete", key: version })),
      ],
    },
  );
  return before?.value as StoredData;
}

/**
 * Encrypts every kept version of secret `name` again under the ring's primary key (after a key rotation), its
 * versions unchanged, so nothing rolls out. Returns the secret and how many versions were encrypted again.
 */
export async function reencryptSecret(
  store: ApiStore,
  name: string,
  ring: SecretKeyRing | undefined,
  clock: Clock,
): Promise<{ stored: StoredSecret; reencrypted: number }> {
  const keyRing = requireKeyRing(ring);
  let reencrypted = 0;
  const { before, after } = await compareAndSet<StoredSecret, Entry<SecretData>[]>(
    store,
    keys.secret(name),
    (current, versions) => {
      if (!current) throw new NotFoundError(`secret ${name} not found`);
      const stale = versions.filter((entry) => entry.value.keyId !== keyRing.primaryId);
      reencrypted = stale.length;
      if (stale.length === 0 && current.value.keyId === keyRing.primaryId) return NO_CHANGE;
      return { ...current.value, keyId: keyRing.primaryId, updatedAt: new Date(clock.now()).toISOString() };
    },
    {
      clock,
      context: () => store.list<SecretData>(keys.secretVersions(name)),
      ops: (key, decision, current, versions) => {
        const ops = keyOps(key, decision, current);
        for (const entry of versions) {
          if (entry.value.keyId === keyRing.primaryId) continue;
          const version = Number(baseName(entry.key));
          const plain = openSecretData(keyRing, name, version, entry.value);
          const base64 = Object.fromEntries(
            Object.entries(plain).map(([dataKey, bytes]) => [dataKey, bytes.toString("base64")]),
          );
          const value = sealSecretData(keyRing, name, version, base64);
          ops.push({ op: "set", key: entry.key, value, version: entry.version });
        }
        return ops;
      },
    },
  );
  return { stored: (after ?? before)?.value as StoredSecret, reencrypted };
}

/**
 * `deployment` with its references to `name` moved to `version`, a new hash and generation; undefined when it
 * does not use `name`.
 */
export function withVersion(
  deployment: Deployment,
  kind: DataKind,
  name: string,
  version: number,
  now: string,
): Deployment | undefined {
  const field = kind === "config" ? "configs" : "secrets";
  const refs = deployment[field];
  if (!refs?.some((ref) => ref.name === name)) return undefined;
  const moved: Deployment = {
    ...deployment,
    [field]: refs.map((ref) => (ref.name === name ? { ...ref, version } : ref)),
    generation: deployment.generation + 1,
    updatedAt: now,
  };
  moved.hash = revisionHash(podTemplateOf(moved));
  return moved;
}

/** If-Match on a config or secret: `0` create only, `*` update only, `N` at version N (409 otherwise). */
export function checkDataPrecondition(
  kind: DataKind,
  name: string,
  precondition: Precondition,
  current: { version: number } | undefined,
): void {
  const what = `${kind} ${name}`;
  switch (precondition.kind) {
    case "none":
      return;
    case "absent":
      if (current) throw new ConflictError(`${what} already exists (version ${current.version})`);
      return;
    case "exists":
      if (!current) throw new NotFoundError(`${what} not found`);
      return;
    case "generation":
      if (!current) throw new NotFoundError(`${what} not found`);
      if (current.version !== precondition.generation) {
        throw new ConflictError(
          `${what} is at version ${current.version}, not ${precondition.generation} as If-Match requires`,
        );
      }
  }
}

function plural(count: number, word: string): string {
  return count === 1 ? word : `${word}s`;
}

// The configs and secrets a deployment names, checked and pinned when it is written: each must exist (400 naming
// the reference otherwise), a reference without a version gets the current one, and the write carries a check of
// each one's store version, so that an update racing the write fails one of them and it is decided again.
import { ValidationError } from "../core/errors.js";
import { DATA_VERSIONS_KEPT } from "../core/schemas/config-secret.js";
import type { DeploymentSpec } from "../core/types.js";
import type { TxOp } from "../store/store.js";
import { DATA_KEYS, type DataKind, type DataRef, refsOf, type StoredData } from "./data-objects.js";
import type { ApiStore } from "./deadline-store.js";

export interface ResolvedRefs {
  /** The spec with every reference's version filled in. */
  spec: DeploymentSpec;
  /** `check` ops on each referenced config and secret, at the version read. */
  checks: TxOp[];
}

export async function resolveDataRefs(store: ApiStore, spec: DeploymentSpec): Promise<ResolvedRefs> {
  const [configs, secrets] = await Promise.all([
    resolveKind(store, spec, "config"),
    resolveKind(store, spec, "secret"),
  ]);
  const resolved = structuredClone(spec);
  if (spec.configs)
    resolved.configs = spec.configs.map((ref, i) => ({ ...ref, version: configs.versions[i] }));
  if (spec.secrets)
    resolved.secrets = spec.secrets.map((ref, i) => ({ ...ref, version: secrets.versions[i] }));
  return { spec: resolved, checks: [...configs.checks, ...secrets.checks] };
}

async function resolveKind(
  store: ApiStore,
  spec: DeploymentSpec,
  kind: DataKind,
): Promise<{ versions: number[]; checks: TxOp[] }> {
  const refs = refsOf(spec, kind);
  const field = kind === "config" ? "configs" : "secrets";
  const entries = await Promise.all(refs.map((ref) => store.get<StoredData>(DATA_KEYS[kind].key(ref.name))));
  const versions = refs.map((ref, i) => {
    const entry = entries[i];
    if (!entry) {
      throw new ValidationError(
        `${field}[${i}].name`,
        `${kind} ${ref.name} does not exist (orchestra ${kind} create ${ref.name} ...)`,
      );
    }
    return versionOf(ref, entry.value, `${field}[${i}].version`, kind);
  });
  const checks = entries.flatMap((entry): TxOp[] =>
    entry ? [{ op: "check", key: entry.key, version: entry.version }] : [],
  );
  return { versions, checks };
}

/** The version a reference uses: the one it names if it is still kept, else the current one. */
function versionOf(ref: DataRef, stored: StoredData, field: string, kind: DataKind): number {
  if (ref.version === undefined || ref.version === stored.version) return stored.version;
  const oldest = Math.max(1, stored.version - DATA_VERSIONS_KEPT + 1);
  if (ref.version > stored.version || ref.version < oldest) {
    throw new ValidationError(
      field,
      `${kind} ${ref.name} has no version ${ref.version}: versions ${oldest} to ${stored.version} are kept`,
    );
  }
  return ref.version;
}

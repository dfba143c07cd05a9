// Configs and secrets in the store, for the API: where each kind lives, the references a pod template holds,
// and which deployments use one. A config's or secret's metadata is one key (`/configs/<name>`), each version of
// its data another (`/configdata/<name>/<version>`), so that a rollback finds the data its revision used.
import type { Deployment, PodTemplate, StoredConfig, StoredSecret } from "../core/types.js";
import { keys } from "../store/keys.js";

export type DataKind = "config" | "secret";

export interface DataKeys {
  /** The directory of the kind's metadata keys. */
  dir: string;
  key(name: string): string;
  /** The directory of one object's versions. */
  versions(name: string): string;
  version(name: string, version: number): string;
}

export const DATA_KEYS: Record<DataKind, DataKeys> = {
  config: {
    dir: keys.configs,
    key: keys.config,
    versions: keys.configVersions,
    version: keys.configVersion,
  },
  secret: {
    dir: keys.secrets,
    key: keys.secret,
    versions: keys.secretVersions,
    version: keys.secretVersion,
  },
};

export type StoredData = StoredConfig | StoredSecret;

/** A reference of a pod template to a config or secret. */
export interface DataRef {
  name: string;
  version?: number;
}

/** The template's references to objects of `kind`. */
export function refsOf(template: PodTemplate, kind: DataKind): DataRef[] {
  return (kind === "config" ? template.configs : template.secrets) ?? [];
}

/** The names of the deployments whose template uses `name`, sorted. */
export function usersOf(deployments: readonly Deployment[], kind: DataKind, name: string): string[] {
  return deployments
    .filter((deployment) => refsOf(deployment, kind).some((ref) => ref.name === name))
    .map((deployment) => deployment.name)
    .sort();
}

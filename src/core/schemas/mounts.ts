// Schemas of what a pod template mounts: volumes (named, tmpfs, host path), configs (files or environment
// variables) and secrets (files on tmpfs), with their limits. The configs and secrets themselves are in
// config-secret.ts; what a worker reports of its named volumes is in volume.ts.
import Type from "typebox";
import { checkConfigRef, checkMountPath, checkUniqueNames, checkVolume } from "../mount-rules.js";
import { checked, closed, NO_NUL } from "./common.js";

/** Volumes one pod template may declare. */
export const MAX_VOLUMES = 16;
/** Configs and secrets one pod template may use (each). */
export const MAX_DATA_REFS = 16;
/** Longest mount path or host path. */
export const MAX_PATH_LENGTH = 1024;
/** A tmpfs volume without a size gets this much (Docker's default would be half the machine's memory). */
export const DEFAULT_TMPFS_BYTES = 64 * 2 ** 20;
export const MIN_TMPFS_BYTES = 2 ** 20;
export const MAX_TMPFS_BYTES = 16 * 2 ** 30;
/** Where a secret is mounted when its reference names no path, as in Swarm: `/run/secrets/<name>`. */
export const SECRETS_MOUNT_ROOT = "/run/secrets";

/** A config, secret or volume name: a DNS label, so it is a safe store key, file name and Docker volume name part. */
export const DataName = Type.String({
  pattern: "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$",
  description: "A DNS label: 1 to 63 of a-z, 0-9 and '-', not starting or ending with '-'.",
  errorMessage:
    "must be a DNS label: 1 to 63 characters of a-z, 0-9 and '-', not starting or ending with '-'",
});

/** An absolute, normalized path (no `.` or `..` segment, no `//`, no trailing `/`). */
export const AbsolutePath = checked(
  Type.String({
    minLength: 1,
    maxLength: MAX_PATH_LENGTH,
    pattern: NO_NUL,
    description: `An absolute path without '.' or '..' segments, at most ${MAX_PATH_LENGTH} characters.`,
    errorMessage: {
      type: "must be an absolute path",
      minLength: "must be an absolute path",
      maxLength: `must be at most ${MAX_PATH_LENGTH} characters`,
      pattern: "must not contain a NUL character",
    },
  }),
  checkMountPath,
);

export const TmpfsOptions = closed(
  {
    sizeBytes: Type.Integer({
      minimum: MIN_TMPFS_BYTES,
      maximum: MAX_TMPFS_BYTES,
      default: DEFAULT_TMPFS_BYTES,
      description: `Most bytes it holds: from 1 MiB to 16 GiB, default 64 MiB.`,
    }),
  },
  { title: "TmpfsOptions", errorMessage: { type: "must be an object {sizeBytes?}" } },
);

export const Volume = checked(
  closed(
    {
      name: DataName,
      mountPath: AbsolutePath,
      readOnly: Type.Optional(Type.Boolean({ description: "Mounted read-only (default false)." })),
      tmpfs: Type.Optional(TmpfsOptions),
      hostPath: Type.Optional(AbsolutePath),
    },
    {
      title: "Volume",
      description:
        "A volume the container mounts at `mountPath`. Without `tmpfs` or `hostPath` it is a named volume: the " +
        "Docker local volume `orchestra-<deployment>-<name>`, kept on its node across container replacements, " +
        "rollouts and restarts, and once it exists the deployment's pods go only to nodes that hold it. `tmpfs`: " +
        "memory of at most `sizeBytes`, emptied with the container. `hostPath`: a directory of the node, only " +
        "under the directories its worker allows (`--allow-host-path`).",
      errorMessage: { type: "must be an object {name, mountPath, readOnly?, tmpfs?, hostPath?}" },
    },
  ),
  checkVolume,
);

export const Volumes = checked(
  Type.Array(Volume, {
    maxItems: MAX_VOLUMES,
    description: `At most ${MAX_VOLUMES}, unique by name.`,
    errorMessage: {
      type: "must be an array of {name, mountPath, readOnly?, tmpfs?, hostPath?}",
      maxItems: `must have at most ${MAX_VOLUMES} volumes`,
    },
  }),
  checkUniqueNames,
);

const version = Type.Optional(
  Type.Integer({
    minimum: 1,
    description:
      "The version in use: filled in with the current one when left out, and moved on by every update, which " +
      "rolls the deployment out (a rollback returns to the version its revision used).",
    errorMessage: "must be a version number (an integer from 1)",
  }),
);

export const ConfigRef = checked(
  closed(
    {
      name: DataName,
      mountPath: Type.Optional(AbsolutePath),
      env: Type.Optional(
        Type.Boolean({ description: "Each of its keys becomes an environment variable of that name." }),
      ),
      version,
    },
    {
      title: "ConfigRef",
      description:
        "A config the pod uses: as read-only files (one per key) in the directory `mountPath`, and/or as " +
        "environment variables (`env: true`; the template's own `env` wins over them).",
      errorMessage: { type: "must be an object {name, mountPath?, env?, version?}" },
    },
  ),
  checkConfigRef,
);

export const SecretRef = closed(
  {
    name: DataName,
    mountPath: Type.Optional(AbsolutePath),
    version,
  },
  {
    title: "SecretRef",
    description:
      "A secret the pod uses: one file per key (mode 0400) in the directory `mountPath` (default " +
      "`/run/secrets/<name>`), on a tmpfs of its node, never on its disk nor in the container's settings.",
    errorMessage: { type: "must be an object {name, mountPath?, version?}" },
  },
);

const refs = <T extends typeof ConfigRef | typeof SecretRef>(item: T, kind: string) =>
  checked(
    Type.Array(item, {
      maxItems: MAX_DATA_REFS,
      description: `At most ${MAX_DATA_REFS}, unique by name.`,
      errorMessage: {
        type: `must be an array of ${kind} references`,
        maxItems: `must have at most ${MAX_DATA_REFS} ${kind}s`,
      },
    }),
    checkUniqueNames,
  );

export const ConfigRefs = refs(ConfigRef, "config");
export const SecretRefs = refs(SecretRef, "secret");

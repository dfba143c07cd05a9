// Rules about a pod template's volumes, configs and secrets that their schemas (schemas/mounts.ts) cannot
// state, attached with `checked` and run once the schema has accepted the value. Each throws a ValidationError
// naming the field.
import { ValidationError } from "./errors.js";
import { childField } from "./field-path.js";

// The shapes the schemas accepted, spelled here (types.ts derives from the schemas these rules are part of).
type Volume = { name: string; mountPath: string; tmpfs?: unknown; hostPath?: string };
type ConfigRef = { name: string; mountPath?: string; env?: boolean };
type SecretRef = { name: string; mountPath?: string };
type Mounting = { volumes?: Volume[]; configs?: ConfigRef[]; secrets?: SecretRef[] };

/** Where a secret reference without a path is mounted (SECRETS_MOUNT_ROOT, spelled here to stay import-free). */
export function secretMountPath(ref: SecretRef): string {
  return ref.mountPath ?? `/run/secrets/${ref.name}`;
}

/** The Docker local volume that holds named volume `name` of `deployment` on a node. */
export function dockerVolumeName(deployment: string, name: string): string {
  return `orchestra-${deployment}-${name}`;
}

/** Absolute and normalized: `/a/b`, not `a/b`, `/a//b`, `/a/./b`, `/a/../b` or `/a/`. */
export function checkMountPath(path: string, field: string): void {
  if (!path.startsWith("/")) throw new ValidationError(field, `must be an absolute path, got "${path}"`);
  if (path === "/") return;
  const segments = path.slice(1).split("/");
  if (segments.some((segment) => segment === "" || segment === "." || segment === "..")) {
    throw new ValidationError(
      field,
      `must be a normalized path without empty, '.' or '..' segments and no trailing '/', got "${path}"`,
    );
  }
}

/** A volume is of one kind: named (neither), tmpfs or host path. */
export function checkVolume(volume: Volume, field: string): void {
  if (volume.tmpfs !== undefined && volume.hostPath !== undefined) {
    throw new ValidationError(
      field,
      "has both tmpfs and hostPath: a volume is one or the other (or neither)",
    );
  }
}

/** A config is used as files, as environment variables, or both. */
export function checkConfigRef(ref: ConfigRef, field: string): void {
  if (ref.mountPath === undefined && ref.env !== true) {
    throw new ValidationError(field, "needs a mountPath (files), env: true (environment variables), or both");
  }
}

/** No two items of a list with the same name. */
export function checkUniqueNames(items: { name: string }[], field: string): void {
  const seen = new Map<string, number>();
  items.forEach((item, i) => {
    const earlier = seen.get(item.name);
    if (earlier !== undefined) {
      throw new ValidationError(
        `${childField(field, i)}.name`,
        `"${item.name}" is already used by ${field}[${earlier}]`,
      );
    }
    seen.set(item.name, i);
  });
}

/**
 * Every mount of a template at its own path, and none over the container's root. Attached to the whole spec,
 * so the fields it names are top-level ones (`volumes[1].mountPath`).
 */
export function checkMountPaths(template: Mounting): void {
  const mounts = [
    ...(template.volumes ?? []).map((volume, i) => ({
      path: volume.mountPath,
      at: childField("volumes", i),
    })),
    ...(template.configs ?? []).map((ref, i) => ({ path: ref.mountPath, at: childField("configs", i) })),
    ...(template.secrets ?? []).map((ref, i) => ({
      path: secretMountPath(ref),
      at: childField("secrets", i),
    })),
  ].filter((mount): mount is { path: string; at: string } => mount.path !== undefined);
  const seen = new Map<string, string>();
  for (const { path, at } of mounts) {
    if (path === "/") throw new ValidationError(`${at}.mountPath`, "cannot mount over the container's root");
    const earlier = seen.get(path);
    if (earlier !== undefined) {
      throw new ValidationError(`${at}.mountPath`, `${path} is already mounted by ${earlier}`);
    }
    seen.set(path, at);
  }
}

// What a pod's container mounts, decided from plain data: its named volumes (the Docker local volume
// `orchestra-<deployment>-<name>`), tmpfs volumes with their size, host paths (only under a directory the
// worker allows), and the directories holding its configs' and secrets' files, bound read-only.
import { dockerVolumeName, secretMountPath } from "../../core/mount-rules.js";
import { DEFAULT_TMPFS_BYTES } from "../../core/schemas/mounts.js";
import type { Pod } from "../../core/types.js";
import type { Mount } from "../../runtime/runtime.js";

/** Whether `path` is one of `allowed` or under one (all absolute and normalized). */
export function isUnderAllowed(path: string, allowed: readonly string[]): boolean {
  return allowed.some((dir) => dir === "/" || path === dir || path.startsWith(`${dir}/`));
}

/** Why a host path may not be mounted here, or undefined when it may. */
export function hostPathRefusal(
  path: string,
  resolved: string,
  allowed: readonly string[],
): string | undefined {
  const list = allowed.length === 0 ? "it allows none" : `it allows ${allowed.join(", ")}`;
  if (!isUnderAllowed(path, allowed)) {
    return `host path ${path} is not under a directory this worker allows (--allow-host-path): ${list}`;
  }
  if (resolved !== path && !isUnderAllowed(resolved, allowed)) {
    return `host path ${path} leads to ${resolved}, which is not under a directory this worker allows (--allow-host-path): ${list}`;
  }
  return undefined;
}

export interface MountSources {
  /** Each host path of the template as the machine resolves it (symbolic links followed). */
  resolvedHostPaths: ReadonlyMap<string, string>;
  allowedHostPaths: readonly string[];
  /** The directory of the files of each config (by name) and secret (by name) the pod mounts. */
  configDirs: ReadonlyMap<string, string>;
  secretDirs: ReadonlyMap<string, string>;
}

export type MountsPlan = { ok: true; mounts: Mount[] } | { ok: false; reason: string };

export function planMounts(pod: Pod, sources: MountSources): MountsPlan {
  const { template } = pod;
  const mounts: Mount[] = [];
  for (const volume of template.volumes ?? []) {
    const readOnly = volume.readOnly ?? false;
    if (volume.tmpfs) {
      mounts.push({
        type: "tmpfs",
        target: volume.mountPath,
        sizeBytes: volume.tmpfs.sizeBytes ?? DEFAULT_TMPFS_BYTES,
      });
    } else if (volume.hostPath !== undefined) {
      const resolved = sources.resolvedHostPaths.get(volume.hostPath) ?? volume.hostPath;
      const refusal = hostPathRefusal(volume.hostPath, resolved, sources.allowedHostPaths);
      if (refusal) return { ok: false, reason: `volume ${volume.name}: ${refusal}` };
      mounts.push({ type: "bind", source: resolved, target: volume.mountPath, readOnly });
    } else {
      const source = dockerVolumeName(pod.deployment, volume.name);
      mounts.push({ type: "volume", source, target: volume.mountPath, readOnly });
    }
  }
  for (const ref of template.configs ?? []) {
    const dir = sources.configDirs.get(ref.name);
    if (ref.mountPath !== undefined && dir !== undefined)
      mounts.push({ type: "bind", source: dir, target: ref.mountPath, readOnly: true });
  }
  for (const ref of template.secrets ?? []) {
    const dir = sources.secretDirs.get(ref.name);
    if (dir !== undefined)
      mounts.push({ type: "bind", source: dir, target: secretMountPath(ref), readOnly: true });
  }
  return { ok: true, mounts };
}

/** Environment variables from the configs used with `env: true`, in template order (a later one wins). */
export function configEnv(
  pod: Pod,
  data: ReadonlyMap<string, Record<string, Buffer>>,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const ref of pod.template.configs ?? []) {
    if (!ref.env) continue;
    for (const [key, value] of Object.entries(data.get(ref.name) ?? {})) env[key] = value.toString("utf8");
  }
  return env;
}

// Named volumes on a Docker Engine: created with their labels when missing, listed by label (with the sizes and
// users `docker system df -v` reports, when asked), removed. Docker's `local` driver keeps them on the engine's
// own disk, so a volume is local to its machine.
import type Docker from "dockerode";
import type { Mount, VolumeInfo } from "../runtime.js";
import { dockerMessage, isStatus } from "./docker-errors.js";

export async function ensureDockerVolume(
  docker: Docker,
  name: string,
  labels: Record<string, string>,
): Promise<VolumeInfo> {
  try {
    const existing = await docker.getVolume(name).inspect();
    return { name: existing.Name, labels: existing.Labels ?? {} };
  } catch (err) {
    if (!isStatus(err, 404)) throw err;
  }
  // Creating a volume that appeared meanwhile returns it as it is: no race to lose.
  await docker.createVolume({ Name: name, Driver: "local", Labels: labels });
  return { name, labels };
}

export async function listDockerVolumes(
  docker: Docker,
  options: { labels: Record<string, string>; usage?: boolean },
): Promise<VolumeInfo[]> {
  const label = Object.entries(options.labels).map(([key, value]) => `${key}=${value}`);
  const { Volumes } = await docker.listVolumes({ filters: { label } });
  const volumes = (Volumes ?? []).map((v): VolumeInfo => ({ name: v.Name, labels: v.Labels ?? {} }));
  if (!options.usage || volumes.length === 0) return volumes;
  const usage = new Map<string, { Size?: number; RefCount?: number }>();
  const df = (await docker.df()) as {
    Volumes?: { Name: string; UsageData?: { Size?: number; RefCount?: number } }[];
  };
  for (const v of df.Volumes ?? []) if (v.UsageData) usage.set(v.Name, v.UsageData);
  return volumes.map((volume) => {
    const data = usage.get(volume.name);
    // The engine reports -1 for what it did not measure.
    const size = data?.Size !== undefined && data.Size >= 0 ? data.Size : undefined;
    const refs = data?.RefCount !== undefined && data.RefCount >= 0 ? data.RefCount : undefined;
    return {
      ...volume,
      ...(size !== undefined ? { sizeBytes: size } : {}),
      ...(refs !== undefined ? { containers: refs } : {}),
    };
  });
}

export async function removeDockerVolume(docker: Docker, name: string): Promise<void> {
  try {
    await docker.getVolume(name).remove();
  } catch (err) {
    if (isStatus(err, 404)) return;
    throw new Error(`cannot remove volume "${name}": ${dockerMessage(err)}`);
  }
}

/** A spec's mounts as the Engine API's `HostConfig.Mounts`. */
export function dockerMounts(mounts: readonly Mount[]): Docker.MountSettings[] {
  return mounts.map((mount): Docker.MountSettings => {
    if (mount.type === "tmpfs") {
      // 1777, as a tmpfs Docker makes without a mode (and as /tmp is).
      return {
        Type: "tmpfs",
        Source: "",
        Target: mount.target,
        TmpfsOptions: { SizeBytes: mount.sizeBytes, Mode: 0o1777 },
      };
    }
    return {
      Type: mount.type,
      Source: mount.source,
      Target: mount.target,
      ReadOnly: mount.readOnly ?? false,
    };
  });
}

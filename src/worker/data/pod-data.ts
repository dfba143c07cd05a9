// What a pod's container needs besides its image, made ready on this node before it starts: its named volumes
// (created, and reported in the store so its deployment's later pods come back here), its host paths (only
// under the directories this worker allows), and the files of its configs and secrets. Those files live on a
// tmpfs of this machine (`filesDir`, by default under /dev/shm), bound read-only into the container: a secret is
// decrypted only here, written only to memory (mode 0400), and the container's settings hold only the path.
import { chmod, mkdir, realpath, rm, statfs, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Clock } from "../../core/clock.js";
import type { Logger } from "../../core/logger.js";
import { dockerVolumeName } from "../../core/mount-rules.js";
import type { ConfigData, Pod, SecretData, VolumeReport } from "../../core/types.js";
import { ContainerStartError } from "../../runtime/errors.js";
import { LABEL_DEPLOYMENT, LABEL_MANAGED } from "../../runtime/labels.js";
import type { ContainerRuntime, Mount } from "../../runtime/runtime.js";
import { openSecretData } from "../../secrets/secret-data.js";
import type { SecretKeyRing } from "../../secrets/secret-key-ring.js";
import { compareAndSet, DELETE, NO_CHANGE } from "../../store/compare-and-set.js";
import { keys } from "../../store/keys.js";
import type { Store } from "../../store/store.js";
import { containerName } from "../container-spec.js";
import { configEnv, planMounts } from "./pod-mounts-plan.js";
import { LABEL_VOLUME, planVolumeReports } from "./volume-report-plan.js";

/** statfs(2)'s f_type of a tmpfs. */
const TMPFS_MAGIC = 0x01021994;

export interface PodDataOptions {
  store: Store;
  runtime: ContainerRuntime;
  node: string;
  clock: Clock;
  log: Logger;
  /** Directories under which host paths may be mounted (absolute). Default: none. */
  allowHostPaths?: readonly string[];
  /** Decrypts the secrets pods use. Without it, a pod that uses a secret is refused. */
  secrets?: SecretKeyRing;
  /** Where configs' and secrets' files are written: must be a tmpfs for secrets. */
  filesDir: string;
}

/** The mounts and extra environment of a pod's container. */
export interface PreparedData {
  mounts: Mount[];
  env: Record<string, string>;
}

/** A pod's data cannot be made ready: `definitive` when trying again will not help (a refusal, not an outage). */
class DataError extends Error {
  constructor(
    message: string,
    readonly definitive: boolean,
  ) {
    super(message);
  }
}

/** How long after a pod leaves the node its volumes are looked at again (one look for a burst of removals). */
const REFRESH_DELAY_MS = 1000;

export class PodData {
  private readonly allowed: string[];
  private filesOnTmpfs?: Promise<boolean>;
  private refreshTimer?: () => void;

  constructor(private readonly options: PodDataOptions) {
    this.allowed = [...(options.allowHostPaths ?? [])];
  }

  /** Makes everything `pod` mounts ready; a ContainerStartError (step create) saying why when it cannot. */
  async prepare(pod: Pod): Promise<PreparedData> {
    try {
      return await this.prepareOrThrow(pod);
    } catch (err) {
      const definitive = err instanceof DataError && err.definitive;
      const message = err instanceof Error ? err.message : String(err);
      throw new ContainerStartError(containerName(pod, this.options.node), message, "create", definitive);
    }
  }

  /** Removes the files written for `podId` (its container is gone or going). */
  async release(podId: string): Promise<void> {
    await rm(join(this.options.filesDir, podId), { recursive: true, force: true });
  }

  /** A refresh of the volumes' reports shortly (a pod left: a purged volume may be free to go now). */
  refreshSoon(): void {
    if (this.refreshTimer) return;
    this.refreshTimer = this.options.clock.setTimeout(() => {
      this.refreshTimer = undefined;
      void this.refreshVolumes().catch((err) => this.options.log.warn({ err }, "reporting volumes failed"));
    }, REFRESH_DELAY_MS);
  }

  /** Cancels a pending refresh (the worker stops). */
  stop(): void {
    this.refreshTimer?.();
    this.refreshTimer = undefined;
  }

  /**
   * Reports the named volumes on the engine (`/volumes/<volume>.<node>`: size, in use), removes those purged
   * once no container uses them, and drops the reports of volumes gone. Called by the worker's sweep.
   */
  async refreshVolumes(): Promise<void> {
    const { store, runtime, node, clock } = this.options;
    const [volumes, entries] = await Promise.all([
      runtime.listVolumes({ labels: { [LABEL_MANAGED]: "true" }, usage: true }),
      store.list<VolumeReport>(keys.volumes),
    ]);
    const reports = entries.map((entry) => entry.value).filter((report) => report.node === node);
    const plan = planVolumeReports({ node, volumes, reports, now: new Date(clock.now()).toISOString() });
    const removed: string[] = [];
    for (const name of plan.remove) {
      try {
        await runtime.removeVolume(name);
        removed.push(name);
        this.options.log.info({ volume: name }, "volume purged");
      } catch (err) {
        // A container took it meanwhile: the next sweep looks again.
        this.options.log.warn({ volume: name, err }, "volume not purged yet");
      }
    }
    await Promise.all([
      ...plan.write.map((report) =>
        compareAndSet<VolumeReport>(store, keys.volume(node, report.name), (current) => ({
          ...report,
          // A purge marked meanwhile stays marked.
          ...(current?.value.purge ? { purge: true } : {}),
        })),
      ),
      ...[...removed, ...plan.drop].map((name) =>
        compareAndSet<VolumeReport>(store, keys.volume(node, name), (current) =>
          current ? DELETE : NO_CHANGE,
        ),
      ),
    ]);
  }

  private async prepareOrThrow(pod: Pod): Promise<PreparedData> {
    const { template } = pod;
    const configData = new Map<string, Record<string, Buffer>>();
    const configDirs = new Map<string, string>();
    for (const ref of template.configs ?? []) {
      const data = await this.configData(ref.name, ref.version);
      configData.set(ref.name, data);
      if (ref.mountPath !== undefined)
        configDirs.set(ref.name, await this.writeFiles(pod.id, "configs", ref.name, data, 0o444));
    }
    const secretDirs = new Map<string, string>();
    if ((template.secrets ?? []).length > 0) await this.requireTmpfs();
    for (const ref of template.secrets ?? []) {
      const data = await this.secretData(ref.name, ref.version);
      secretDirs.set(ref.name, await this.writeFiles(pod.id, "secrets", ref.name, data, 0o400));
    }
    const resolvedHostPaths = new Map<string, string>();
    for (const volume of template.volumes ?? []) {
      if (volume.hostPath === undefined) continue;
      // Symbolic links are followed, so that a link under an allowed directory cannot lead out of it.
      resolvedHostPaths.set(
        volume.hostPath,
        await realpath(volume.hostPath).catch(() => volume.hostPath as string),
      );
    }
    const plan = planMounts(pod, {
      resolvedHostPaths,
      allowedHostPaths: this.allowed,
      configDirs,
      secretDirs,
    });
    if (!plan.ok) throw new DataError(plan.reason, true);
    for (const mount of plan.mounts) {
      if (mount.type === "volume") await this.ensureVolume(pod, mount.source);
    }
    return { mounts: plan.mounts, env: configEnv(pod, configData) };
  }

  private async configData(name: string, version: number | undefined): Promise<Record<string, Buffer>> {
    const entry = await this.options.store.get<ConfigData>(keys.configVersion(name, version ?? 0));
    if (!entry) throw new DataError(`config ${name} has no version ${version} (deleted?)`, true);
    return Object.fromEntries(
      Object.entries(entry.value.data).map(([key, value]) => [key, Buffer.from(value, "base64")]),
    );
  }

  private async secretData(name: string, version: number | undefined): Promise<Record<string, Buffer>> {
    const ring = this.options.secrets;
    if (!ring) {
      throw new DataError(
        `secret ${name}: this worker has no secrets key (start it with --secrets-key-file)`,
        true,
      );
    }
    const entry = await this.options.store.get<SecretData>(keys.secretVersion(name, version ?? 0));
    if (!entry) throw new DataError(`secret ${name} has no version ${version} (deleted?)`, true);
    try {
      return openSecretData(ring, name, version ?? 0, entry.value);
    } catch (err) {
      // The key ring's errors name key ids, never data.
      throw new DataError(`secret ${name}: ${(err as Error).message}`, true);
    }
  }

  /** Secrets are written only to memory: a files directory that is not a tmpfs refuses them. */
  private async requireTmpfs(): Promise<void> {
    const { filesDir } = this.options;
    this.filesOnTmpfs ??= mkdir(filesDir, { recursive: true, mode: 0o700 })
      .then(() => statfs(filesDir))
      .then((stats) => stats.type === TMPFS_MAGIC);
    if (!(await this.filesOnTmpfs)) {
      throw new DataError(`secrets are written only to a tmpfs, and ${filesDir} is not one`, true);
    }
  }

  private async writeFiles(
    podId: string,
    kind: "configs" | "secrets",
    name: string,
    data: Record<string, Buffer>,
    mode: number,
  ): Promise<string> {
    await mkdir(this.options.filesDir, { recursive: true, mode: 0o700 });
    const dir = join(this.options.filesDir, podId, kind, name);
    // Written afresh before each start: the version the pod names, and nothing left of another one.
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true, mode: 0o755 });
    for (const [key, bytes] of Object.entries(data)) {
      const file = join(dir, key);
      await writeFile(file, bytes, { mode });
      await chmod(file, mode); // the process's umask may have taken bits off
    }
    return dir;
  }

  /** Creates the volume when missing and reports it, so that the deployment's pods come back to this node. */
  private async ensureVolume(pod: Pod, volumeName: string): Promise<void> {
    const volume = (pod.template.volumes ?? []).find(
      (v) => dockerVolumeName(pod.deployment, v.name) === volumeName,
    );
    await this.options.runtime.ensureVolume(volumeName, {
      [LABEL_MANAGED]: "true",
      [LABEL_DEPLOYMENT]: pod.deployment,
      [LABEL_VOLUME]: volume?.name ?? volumeName,
    });
    const { store, node, clock } = this.options;
    const now = new Date(clock.now()).toISOString();
    await compareAndSet<VolumeReport>(store, keys.volume(node, volumeName), (current) => {
      if (current?.value.inUse && !current.value.purge) return NO_CHANGE;
      // A deployment of the same name mounts it again: it is no longer to be purged.
      const { purge: _purge, ...kept } = current?.value ?? ({} as Partial<VolumeReport>);
      return {
        ...kept,
        name: volumeName,
        node,
        deployment: pod.deployment,
        volume: volume?.name ?? volumeName,
        inUse: true,
        createdAt: current?.value.createdAt ?? now,
        updatedAt: now,
      };
    });
  }
}

/** Where a worker writes its pods' configs and secrets by default: /dev/shm is a tmpfs on Linux. */
export function defaultFilesDir(node: string): string {
  return join("/dev/shm/orchestra", node);
}

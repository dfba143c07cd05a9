// Removes a lab: every process, engine, container, mount, namespace, interface and file it made, found from its
// state file and, for whatever a crash left unrecorded, by its naming convention (lab-plan.ts).
import { createHash } from "node:crypto";
import { existsSync, readdirSync, rmdirSync, rmSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { ORCHESTRA_CLI } from "./lab-components.js";
import { LabEngine } from "./lab-engine.js";
import { LAB_ENV, labNames } from "./lab-plan.js";
import {
  ip,
  listLinks,
  listNetns,
  listProcesses,
  mountsUnder,
  type ProcessInfo,
  run,
  terminate,
  withDescendants,
} from "./lab-system.js";

export interface LabLeftovers {
  namespaces: string[];
  links: string[];
  /** `pid command`. */
  processes: string[];
  mounts: string[];
  folder: boolean;
}

/** What of lab `name` is on the machine: nothing at all after teardownLab(). */
export function labLeftovers(name: string, root: string): LabLeftovers {
  const dir = join(root, name);
  const names = labNames(name);
  return {
    namespaces: listNetns().filter((ns) => ns.startsWith(`${names.rootLink}-`)),
    links: listLinks().filter((link) => link === names.rootLink),
    processes: labProcesses(name, dir).map((p) => `${p.pid} ${p.command}`),
    mounts: mountsUnder(dir),
    folder: existsSync(dir),
  };
}

export function isEmpty(leftovers: LabLeftovers): boolean {
  const { namespaces, links, processes, mounts, folder } = leftovers;
  return namespaces.length + links.length + processes.length + mounts.length === 0 && !folder;
}

export async function teardownLab(name: string, root: string): Promise<void> {
  const dir = join(root, name);
  const names = labNames(name);
  // Orchestra's processes first: a live worker would start containers again behind our back.
  const orchestra = labProcesses(name, dir).filter((p) => p.command.includes(ORCHESTRA_CLI));
  await terminate(
    orchestra.map((p) => p.pid),
    "SIGTERM",
    5000,
  );
  // Each engine that runs removes its containers and stops them as a machine's engine would.
  for (const host of hostFolders(dir)) {
    const engine = new LabEngine({
      lab: name,
      dir: join(dir, host),
      netns: names.host(Number(host.slice(1))),
    });
    if (engine.pid === undefined) continue;
    await engine.removeContainers().catch(() => undefined);
    await engine.stop();
  }
  // Whatever is left (ZooKeeper, an engine that crashed, its containerd, shims and their containers) is killed.
  const processes = listProcesses();
  const lab = labProcesses(name, dir, processes);
  const doomed = [...withDescendants(processes, new Set(lab.map((p) => p.pid)))].filter(
    (pid) => pid !== process.pid,
  );
  const shims = processes.filter((p) => doomed.includes(p.pid)).flatMap(shimOf);
  await terminate(doomed, "SIGKILL", 0);
  for (const mount of mountsUnder(dir)) {
    await run("umount", [mount]).catch(() => run("umount", ["-l", mount]).catch(() => undefined));
  }
  for (const netns of listNetns().filter((ns) => ns.startsWith(`${names.rootLink}-`))) {
    await ip("netns", "delete", netns).catch(() => undefined);
  }
  if (listLinks().includes(names.rootLink)) await ip("link", "delete", names.rootLink).catch(() => undefined);
  // A shim killed here had no chance to remove its socket, nor its container the container's cgroups.
  for (const shim of shims) removeShimLeftovers(shim);
  rmSync(dir, { recursive: true, force: true });
}

/** The lab's processes: those it started (its name in their environment) and any naming its folder. */
function labProcesses(name: string, dir: string, processes: ProcessInfo[] = listProcesses()): ProcessInfo[] {
  const mark = `${LAB_ENV}=${name}`;
  return processes.filter(
    (p) => p.pid !== process.pid && (p.env.includes(mark) || p.command.includes(`${dir}/`)),
  );
}

function hostFolders(dir: string): string[] {
  try {
    return readdirSync(dir).filter((entry) => /^h\d+$/.test(entry));
  } catch {
    return [];
  }
}

interface Shim {
  id: string;
  address: string;
}

/** `containerd-shim-runc-v2 -namespace moby -id <id> -address <containerd socket>`. */
function shimOf(process: ProcessInfo): Shim[] {
  if (!process.command.includes("containerd-shim")) return [];
  const id = / -id ([0-9a-f]{64})/.exec(process.command)?.[1];
  const address = / -address (\S+)/.exec(process.command)?.[1];
  return id && address ? [{ id, address }] : [];
}

function removeShimLeftovers(shim: Shim): void {
  // containerd 1.6 names a shim's socket after sha256(<containerd socket>/<namespace>/<container id>).
  const digest = createHash("sha256")
    .update(join(shim.address, "moby", shim.id))
    .digest("hex");
  try {
    unlinkSync(join("/run/containerd/s", digest));
  } catch {
    // Removed by the shim itself.
  }
  for (const controller of listDir("/sys/fs/cgroup")) {
    try {
      rmdirSync(join("/sys/fs/cgroup", controller, "docker", shim.id));
    } catch {
      // Not there (or, on cgroup v2, elsewhere: removed with the container by the kernel's cleanup).
    }
  }
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

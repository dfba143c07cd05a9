// The machine as the lab sees it: commands (iproute2, nsenter, umount), its processes read from /proc, its
// mounts and network namespaces. Thin: no decisions here.
import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";

const exec = promisify(execFile);

/** Runs a command; its stdout, or an error carrying its last line of stderr. */
export async function run(file: string, args: string[], timeoutMs = 30_000): Promise<string> {
  try {
    return (await exec(file, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 })).stdout;
  } catch (err) {
    const failure = err as Error & { stderr?: string; code?: string | number };
    if (failure.code === "ENOENT") throw new Error(`${file} is not installed`);
    const detail = failure.stderr?.trim().split("\n").pop() || failure.message;
    throw new Error(`${file} ${args.join(" ")}: ${detail}`);
  }
}

/** `ip ...args`. */
export function ip(...args: string[]): Promise<string> {
  return run("ip", args);
}

export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** argv joined with spaces. */
  command: string;
  /** Whether the environment holds `entry` (`KEY=value`), for `withEnv`. */
  env: string[];
}

/** Every process of the machine (that is still there while /proc is read). */
export function listProcesses(): ProcessInfo[] {
  const processes: ProcessInfo[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // The command name is in parentheses and may hold spaces: the fields after it are what we need.
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const command = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").join(" ").trim();
      let env: string[] = [];
      try {
        env = readFileSync(`/proc/${entry}/environ`, "utf8").split("\0");
      } catch {
        // Another user's process: its environment is not ours to read.
      }
      processes.push({ pid: Number(entry), ppid, command, env });
    } catch {
      // Gone while we looked.
    }
  }
  return processes;
}

/** `roots` and every process below them. */
export function withDescendants(processes: ProcessInfo[], roots: Set<number>): Set<number> {
  const found = new Set(roots);
  let grew = true;
  while (grew) {
    grew = false;
    for (const process of processes) {
      if (!found.has(process.pid) && found.has(process.ppid)) {
        found.add(process.pid);
        grew = true;
      }
    }
  }
  return found;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Sends `signal`, then SIGKILL after `graceMs`; resolves once every one has exited (or after the kill). */
export async function terminate(
  pids: number[],
  signal: NodeJS.Signals = "SIGTERM",
  graceMs = 10_000,
): Promise<void> {
  const signalAll = (sig: NodeJS.Signals) => {
    for (const pid of pids) {
      try {
        process.kill(pid, sig);
      } catch {
        // Already gone.
      }
    }
  };
  signalAll(signal);
  const deadline = Date.now() + graceMs;
  while (pids.some(isAlive) && Date.now() < deadline) await sleep(50);
  if (pids.some(isAlive)) {
    signalAll("SIGKILL");
    const hardDeadline = Date.now() + 5000;
    while (pids.some(isAlive) && Date.now() < hardDeadline) await sleep(50);
  }
}

/** Mount points at or under `dir`, deepest first (the order to unmount them in). */
export function mountsUnder(dir: string): string[] {
  const prefix = dir.endsWith("/") ? dir : `${dir}/`;
  const points = readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((line) => line.split(" ")[4])
    .filter((point): point is string => point !== undefined && (point === dir || point.startsWith(prefix)))
    .map((point) => point.replace(/\\040/g, " "));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

/** Names of the network namespaces `ip netns` knows. */
export function listNetns(): string[] {
  try {
    return readdirSync("/run/netns");
  } catch {
    return [];
  }
}

/** Names of the root namespace's interfaces. */
export function listLinks(): string[] {
  try {
    return readdirSync("/sys/class/net");
  } catch {
    return [];
  }
}

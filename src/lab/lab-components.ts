// Orchestra's own processes in a lab: `orchestra run <component>` detached, with its log in the lab's folder,
// in the root namespace (the control plane) or inside a host's network namespace (its worker, via nsenter).
import { spawn } from "node:child_process";
import { openSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { LAB_ENV, netnsPath } from "./lab-plan.js";
import { isAlive } from "./lab-system.js";

/** The `orchestra` executable (compiled to dist/src/lab/: the CLI is in dist/src/cli/). */
export const ORCHESTRA_CLI = fileURLToPath(new URL("../cli/main.js", import.meta.url));

export interface ComponentOptions {
  lab: string;
  /** The log goes to `<dir>/<role>.log`. */
  dir: string;
  role: string;
  /** After `orchestra run`. */
  args: string[];
  /** Run inside this network namespace. Default: the root one. */
  netns?: string;
}

export interface StartedComponent {
  pid: number;
  log: string;
}

/** Starts the component and resolves once `readyText` is in its log (the process dying first is an error). */
export async function startComponent(options: ComponentOptions, readyText: string, timeoutMs = 60_000) {
  const log = join(options.dir, `${options.role}.log`);
  const out = openSync(log, "a");
  const argv = [process.execPath, ORCHESTRA_CLI, "run", ...options.args];
  const [file, args] = options.netns
    ? ["nsenter", [`--net=${netnsPath(options.netns)}`, ...argv]]
    : [argv[0] as string, argv.slice(1)];
  const child = spawn(file, args, {
    detached: true,
    stdio: ["ignore", out, out],
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/root", [LAB_ENV]: options.lab },
  });
  let failed: string | undefined;
  child.once("error", (err) => {
    failed = err.message;
  });
  child.unref();
  const pid = child.pid;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = readText(log);
    if (text.includes(readyText) && pid !== undefined) return { pid, log } satisfies StartedComponent;
    if (failed || pid === undefined || !isAlive(pid) || Date.now() > deadline) {
      const why =
        failed ?? (pid !== undefined && isAlive(pid) ? `not ready after ${timeoutMs} ms` : "exited");
      throw new Error(`orchestra run ${options.args.join(" ")}: ${why}\n${lastLines(text)}`);
    }
    await sleep(50);
  }
}

export function readText(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

export function lastLines(text: string, lines = 10): string {
  return text.trim().split("\n").slice(-lines).join("\n");
}

/** A TCP port on `host` that was free a moment ago (the OS picks it). */
export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

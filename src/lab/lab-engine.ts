// One Docker engine of a lab host: its own dockerd inside the host's network namespace, with its own data root,
// exec root, socket and pidfile in the host's folder. Started with `nsenter --net` (not `ip netns exec`, which
// remounts /sys and hides the cgroup mounts dockerd needs), detached, so that it outlives `orchestra lab up`.
import { spawn } from "node:child_process";
import { mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import Docker from "dockerode";
import { LAB_ENV, netnsPath } from "./lab-plan.js";
import { isAlive, run, terminate } from "./lab-system.js";

const START_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 30_000;

export interface LabEngineOptions {
  /** The lab's name: put in the engine's environment (LAB_ENV) so that leftovers can be found. */
  lab: string;
  /** The host's folder: data, exec root, socket, pidfile and log go there. */
  dir: string;
  /** The network namespace the engine serves (`olab-<lab>-h1`). */
  netns: string;
}

export class LabEngine {
  readonly socket: string;
  /** For `--docker-host` and `docker -H`. */
  readonly host: string;
  readonly docker: Docker;
  private readonly pidFile: string;

  constructor(private readonly options: LabEngineOptions) {
    this.socket = join(options.dir, "docker.sock");
    this.host = `unix://${this.socket}`;
    this.docker = new Docker({ socketPath: this.socket });
    this.pidFile = join(options.dir, "docker.pid");
  }

  /** The daemon's pid while it runs. */
  get pid(): number | undefined {
    try {
      const pid = Number(readFileSync(this.pidFile, "utf8").trim());
      return pid > 0 && isAlive(pid) ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  /** Starts the daemon (again, after stop(), on the same data); resolves once it answers. Returns its pid. */
  async start(): Promise<number> {
    const { dir, netns, lab } = this.options;
    mkdirSync(dir, { recursive: true });
    // Not the machine's /etc/docker/daemon.json: its settings (hosts, pools, ...) are for the machine's engine.
    const config = join(dir, "daemon.json");
    writeFileSync(config, "{}\n");
    const log = openSync(join(dir, "dockerd.log"), "a");
    const daemon = spawn(
      "nsenter",
      [
        `--net=${netnsPath(netns)}`,
        "dockerd",
        "--config-file",
        config,
        "--data-root",
        join(dir, "data"),
        "--exec-root",
        join(dir, "exec"),
        "-H",
        this.host,
        "--pidfile",
        this.pidFile,
        "--log-level",
        "warn",
      ],
      { detached: true, stdio: ["ignore", log, log], env: { ...process.env, [LAB_ENV]: lab } },
    );
    let exited: string | undefined;
    daemon.once("exit", (code, signal) => {
      exited = `exited with ${signal ?? code}`;
    });
    daemon.once("error", (err) => {
      exited = err.message;
    });
    daemon.unref();
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      if (exited) throw new Error(`dockerd in ${netns} ${exited}: ${this.logTail()}`);
      const answered = await this.docker.ping().then(
        () => true,
        () => false,
      );
      if (answered && daemon.pid) return daemon.pid;
      if (Date.now() > deadline) throw new Error(`dockerd in ${netns} did not answer: ${this.logTail()}`);
      await sleep(100);
    }
  }

  /** Stops the daemon as `systemctl stop docker` would (SIGTERM: it stops its containers) and waits for it. */
  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    const pid = this.pid;
    if (pid !== undefined) await terminate([pid], signal, STOP_GRACE_MS);
  }

  /** Removes every container of the engine (running ones killed). */
  async removeContainers(): Promise<void> {
    const containers = await this.docker.listContainers({ all: true });
    await Promise.all(
      containers.map((container) =>
        this.docker
          .getContainer(container.Id)
          .remove({ force: true })
          .catch(() => undefined),
      ),
    );
  }

  /** Copies images from another engine (the machine's): there is no registry. */
  async loadImages(images: readonly string[], from: Docker): Promise<void> {
    for (const image of images) {
      const exported = await from.getImage(image).get();
      const loading = await this.docker.loadImage(exported);
      await new Promise<void>((resolve, reject) => {
        loading.on("end", resolve);
        loading.on("error", reject);
        loading.resume();
      });
      await this.docker.getImage(image).inspect();
    }
  }

  private logTail(): string {
    try {
      return readFileSync(join(this.options.dir, "dockerd.log"), "utf8")
        .trim()
        .split("\n")
        .slice(-10)
        .join("\n");
    } catch {
      return "(no log)";
    }
  }
}

/** Turns IP forwarding off in a fresh namespace, as on a fresh machine: dockerd turns it on and, doing so, makes
 * the FORWARD policy DROP, which the pod network's firewall rules must then let routed pod traffic through. */
export async function freshForwarding(netns: string): Promise<void> {
  await run("nsenter", [`--net=${netnsPath(netns)}`, "sh", "-c", "echo 0 > /proc/sys/net/ipv4/ip_forward"]);
}

// A second Docker engine on this machine for tests that stop an engine (scenario 5): stopping the machine's only
// dockerd would disrupt everything else. Own data/exec root, socket, pidfile and address pool, no default bridge.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import Docker from "dockerode";

const run = promisify(execFile);
const START_TIMEOUT_MS = 60_000;

// A dockerd outliving the test would keep its containers running: kill it when this process exits.
const liveDaemons = new Set<ChildProcess>();
process.on("exit", () => {
  for (const daemon of liveDaemons) daemon.kill("SIGKILL");
});

export class SecondDockerd {
  readonly folder = mkdtempSync(join(tmpdir(), "orchestra-dockerd-"));
  readonly socket = join(this.folder, "docker.sock");
  /** For `--docker-host`. */
  readonly host = `unix://${this.socket}`;
  readonly docker = new Docker({ socketPath: this.socket });
  private daemon?: ChildProcess;
  private output: string[] = [];

  /** `addressPool`: a /16 no other network of the machine uses; the engine's networks get /24s of it. */
  constructor(private readonly addressPool = "10.231.0.0/16") {}

  get running(): boolean {
    return this.daemon !== undefined;
  }

  /** Starts the daemon (again, after stop(), on the same data) and resolves once it answers. */
  async start(): Promise<void> {
    if (this.daemon) throw new Error("the second dockerd is already running");
    const args = [
      "--data-root",
      join(this.folder, "data"),
      "--exec-root",
      join(this.folder, "exec"),
      "-H",
      this.host,
      "--pidfile",
      join(this.folder, "docker.pid"),
      "--bridge=none",
      "--iptables=false",
      "--ip-masq=false",
      "--default-address-pool",
      `base=${this.addressPool},size=24`,
    ];
    const daemon = spawn("dockerd", args, { stdio: ["ignore", "pipe", "pipe"] });
    this.daemon = daemon;
    liveDaemons.add(daemon);
    this.output = [];
    const keep = (chunk: Buffer) => {
      this.output.push(...chunk.toString().split("\n").filter(Boolean));
      if (this.output.length > 30) this.output.splice(0, this.output.length - 30);
    };
    daemon.stdout?.on("data", keep);
    daemon.stderr?.on("data", keep);
    daemon.once("exit", () => {
      liveDaemons.delete(daemon);
      if (this.daemon === daemon) this.daemon = undefined;
    });
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      if (!this.daemon) throw new Error(`dockerd exited at start:\n${this.output.join("\n")}`);
      if (
        await this.docker.ping().then(
          () => true,
          () => false,
        )
      )
        return;
      if (Date.now() > deadline) throw new Error(`dockerd did not answer:\n${this.output.join("\n")}`);
      await sleep(100);
    }
  }

  /** Stops the daemon as `systemctl stop docker` would (SIGTERM: it stops its containers) and waits for its exit. */
  async stop(signal: NodeJS.Signals = "SIGTERM", graceMs = 30_000): Promise<void> {
    const daemon = this.daemon;
    if (!daemon) return;
    const exited = new Promise<void>((resolve) => daemon.once("exit", () => resolve()));
    daemon.kill(signal);
    const timer = setTimeout(() => daemon.kill("SIGKILL"), graceMs);
    await exited;
    clearTimeout(timer);
  }

  /** Copies images from the machine's engine into this one (there is no registry). */
  async loadImages(images: string[]): Promise<void> {
    await run("sh", ["-c", `docker save ${images.join(" ")} | docker -H ${this.host} load`], {
      timeout: 120_000,
    });
  }

  /** Stops the daemon (its containers with it) and removes its folder. Idempotent. */
  async remove(): Promise<void> {
    if (this.daemon) {
      // Containers first, so that the daemon's shutdown has nothing to wait for.
      const containers = await this.docker.listContainers({ all: true }).catch(() => []);
      await Promise.all(
        containers.map((c) =>
          this.docker
            .getContainer(c.Id)
            .remove({ force: true })
            .catch(() => undefined),
        ),
      );
      await this.stop();
    }
    // A daemon killed hard may leave mounts under its data root: unmount before removing.
    await run("sh", [
      "-c",
      `grep -o ' ${this.folder}[^ ]*' /proc/mounts | sort -r | xargs -r -n1 umount -l`,
    ]).catch(() => undefined);
    rmSync(this.folder, { recursive: true, force: true });
  }
}

// A second Docker engine for tests that stop an engine (scenario 5): stopping the machine's only dockerd would
// disrupt everything else. It runs as a lab engine does (src/lab/): inside a network namespace of its own, with
// its own data and exec root, socket and pidfile, so that nothing of it touches the machine's own network (a
// dockerd in the root namespace would take over, or delete, the machine's docker0). Removed with the lab's
// teardown, which finds everything by name even after a crash.
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import Docker from "dockerode";
import { LabEngine } from "../../src/lab/lab-engine.js";
import { createIsolatedNamespace } from "../../src/lab/lab-network.js";
import { DEFAULT_LAB_ROOT, labNames } from "../../src/lab/lab-plan.js";
import { listNetns } from "../../src/lab/lab-system.js";
import { teardownLab } from "../../src/lab/lab-teardown.js";

export class SecondDockerd {
  /** A lab name of its own: `orchestra lab down --name <it>` removes whatever a crash left. */
  readonly lab = `e${randomBytes(3).toString("hex")}`;
  readonly netns = labNames(this.lab).host(1);
  private readonly engine = new LabEngine({
    lab: this.lab,
    dir: join(DEFAULT_LAB_ROOT, this.lab, "h1"),
    netns: this.netns,
  });
  /** For `--docker-host`. */
  readonly host = this.engine.host;
  readonly docker = this.engine.docker;

  get running(): boolean {
    return this.engine.pid !== undefined;
  }

  /** Starts the daemon (again, after stop(), on the same data) and resolves once it answers. */
  async start(): Promise<void> {
    if (this.running) throw new Error("the second dockerd is already running");
    if (!listNetns().includes(this.netns)) await createIsolatedNamespace(this.netns);
    await this.engine.start();
  }

  /** Stops the daemon as `systemctl stop docker` would (SIGTERM: it stops its containers) and waits for its exit. */
  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    await this.engine.stop(signal);
  }

  /** Copies images from the machine's engine into this one (there is no registry). */
  async loadImages(images: string[]): Promise<void> {
    await this.engine.loadImages(images, new Docker());
  }

  /** Stops the daemon (its containers with it) and removes its namespace and folder. Idempotent. */
  async remove(): Promise<void> {
    await teardownLab(this.lab, DEFAULT_LAB_ROOT);
  }
}

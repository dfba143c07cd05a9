// Distributed mode on a three-server ZooKeeper ensemble (DistributedRun starts a single server): every component
// as its own `orchestra run ...` process, one worker on the local engine, and a cleanup that leaves nothing behind.
import { randomBytes } from "node:crypto";
import Docker from "dockerode";
import type { Pod } from "../../src/core/types.js";
import { httpGet, type ObservedContainer, OrchestraProcess } from "../support/cluster.js";
import { nodeContainers, removeDockerLeftovers } from "../support/docker-cleanup.js";
import { startZooKeeperEnsemble, type ZooKeeperEnsemble } from "../support/zookeeper-server.js";

export class EnsembleRun {
  readonly id = `fault-zk-${randomBytes(3).toString("hex")}`;
  readonly nodeName = `${this.id}-a`;
  readonly network = `orchestra-${this.id}`;
  readonly docker = new Docker();
  readonly processes: OrchestraProcess[] = [];
  ensemble?: ZooKeeperEnsemble;
  server = "";

  constructor(private readonly sessionTimeoutMs: number) {}

  get storeUrl(): string {
    if (!this.ensemble) throw new Error("the ensemble is not started");
    return `zk://${this.ensemble.connectString}/orchestra`;
  }

  async startEnsemble(): Promise<ZooKeeperEnsemble> {
    this.ensemble = await startZooKeeperEnsemble(3);
    return this.ensemble;
  }

  /** API, controller, scheduler and one worker, each its own process. */
  async startComponents(): Promise<void> {
    const api = await this.start(["api", "--host", "127.0.0.1", "--port", "0"], { waitForApi: true });
    this.server = api.url;
    await this.start(["controller"], { readyText: "controller running on" });
    await this.start(["scheduler"], { readyText: "scheduler running on" });
    const worker = ["worker", "--name", this.nodeName, "--address", "127.0.0.1", "--network", this.network];
    await this.start(worker, { readyText: "worker running on" });
  }

  async pods(deployment: string): Promise<Pod[]> {
    const { status, body } = await httpGet(`${this.server}/pods?deployment=${deployment}`, 5000);
    if (status !== 200) throw new Error(`GET /pods: ${status} ${body}`);
    return JSON.parse(body) as Pod[];
  }

  /** The run's containers as Docker reports them, stopped ones included. */
  async containers(labels: Record<string, string> = {}): Promise<ObservedContainer[]> {
    return nodeContainers(this.docker, this.nodeName, this.network, labels);
  }

  async leftovers(): Promise<{
    processes: number[];
    containers: number;
    networks: number;
    zookeeper: number;
  }> {
    const networks = await this.docker.listNetworks({ filters: { name: [this.network] } });
    return {
      processes: this.processes.filter((p) => p.running).map((p) => p.pid),
      containers: (await this.containers()).length,
      networks: networks.filter((n) => n.Name === this.network).length,
      zookeeper: this.ensemble?.members.filter((m) => m.running).length ?? 0,
    };
  }

  /** Kills every process, stops the ensemble, removes containers and network. Idempotent. */
  async cleanup(): Promise<void> {
    const problems: string[] = [];
    await Promise.all(this.processes.map((p) => p.terminate("SIGKILL")));
    await this.ensemble?.stop().catch((error: Error) => problems.push(`ZooKeeper: ${error.message}`));
    const leftovers = await this.containers().catch(() => []);
    problems.push(...(await removeDockerLeftovers(this.docker, leftovers, this.network)));
    if (problems.length > 0) throw new Error(`cleanup of ${this.id} failed: ${problems.join("; ")}`);
  }

  private async start(
    args: string[],
    options: { waitForApi?: boolean; readyText?: string },
  ): Promise<OrchestraProcess> {
    const component = [
      "run",
      ...args,
      "--store",
      this.storeUrl,
      "--session-timeout",
      String(this.sessionTimeoutMs),
    ];
    const started = await OrchestraProcess.start(component, { waitForApi: false, ...options });
    this.processes.push(started);
    return started;
  }
}

// Distributed mode for end-to-end tests: a real ZooKeeper and every component as its own `orchestra run ...`
// process, several worker nodes on the one local Docker engine (each with its own bridge network on its own /24
// of the run's pod CIDR), and a cleanup that leaves nothing behind, the workers' firewall rules included.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import Docker from "dockerode";
import { removeDataPath } from "../../src/network/data-path-cleanup.js";
import { describeRule, podNetworkRulesIn } from "../../src/network/firewall-plan.js";
import { HostKernel } from "../../src/network/host-kernel.js";
import { openZooKeeperStore, type ZooKeeperStore } from "../../src/store/zookeeper/zookeeper-store.js";
import { type CliResult, httpGet, type ObservedContainer, OrchestraProcess, runCli } from "./cluster.js";
import { nodeContainers, removeDockerLeftovers } from "./docker-cleanup.js";
import { testPodCidr } from "./pod-cidr.js";
import {
  startZooKeeper,
  startZooKeeperEnsemble,
  type ZooKeeperEnsemble,
  type ZooKeeperOptions,
  type ZooKeeperServer,
} from "./zookeeper-server.js";

/** One pino line of a process's stderr. */
export interface LogLine {
  msg?: string;
  component?: string;
  [field: string]: unknown;
}

/** The JSON log lines a process wrote so far (anything else on stderr is skipped). */
export function logLines(process: OrchestraProcess): LogLine[] {
  return process.stderr
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as LogLine];
      } catch {
        return []; // a line still being written
      }
    });
}

/** The messages of a process's log lines, in order. */
export function logMessages(process: OrchestraProcess): string[] {
  return logLines(process).flatMap((line) => (line.msg === undefined ? [] : [line.msg]));
}

export interface DistributedRunOptions {
  /** Names of the worker nodes, suffixed to the run id: `e2e-<id>-a`, ... */
  nodes: string[];
  /** ZooKeeper session timeout of every component (the server allows 0.4-4 s). */
  sessionTimeoutMs: number;
}

/** What `leftovers()` says once `cleanup()` is done: nothing. */
export const NOTHING_LEFT = {
  processes: [],
  containers: [],
  networks: 0,
  firewallRules: [],
  zookeeper: false,
};

/** Everything one distributed test run starts, named uniquely so that it never touches anything else. */
export class DistributedRun {
  readonly id: string;
  readonly nodeNames: string[];
  /** The run's own pod CIDR, so that it never meets another run's (or the machine's) networks. */
  readonly podCidr = testPodCidr();
  readonly docker = new Docker();
  readonly processes: OrchestraProcess[] = [];
  /** The API of the latest API server started. */
  server = "";
  private zookeeperServer?: ZooKeeperServer;
  /** Set instead of the single server by startZooKeeperEnsemble(). */
  ensemble?: ZooKeeperEnsemble;
  private readonly clients: ZooKeeperStore[] = [];
  private readonly sessionTimeoutMs: number;

  constructor(options: DistributedRunOptions) {
    this.id = `e2e-${randomBytes(3).toString("hex")}`;
    this.nodeNames = options.nodes.map((suffix) => `${this.id}-${suffix}`);
    this.sessionTimeoutMs = options.sessionTimeoutMs;
  }

  get zookeeper(): ZooKeeperServer {
    assert.ok(this.zookeeperServer, "ZooKeeper is not started");
    return this.zookeeperServer;
  }

  /** `zk://127.0.0.1:PORT/orchestra`. */
  get storeUrl(): string {
    return `zk://${this.connectString}/orchestra`;
  }

  /** The single server's or the ensemble's. */
  private get connectString(): string {
    return this.ensemble?.connectString ?? this.zookeeper.connectString;
  }

  /** Flags every component started by start() gets after `--store` (e.g. the store's TLS files). */
  storeArgs: string[] = [];

  async startZooKeeper(options: ZooKeeperOptions = {}): Promise<void> {
    this.zookeeperServer = await startZooKeeper(options);
  }

  /** An ensemble of `size` servers instead of the single one. */
  async startZooKeeperEnsemble(size = 3): Promise<ZooKeeperEnsemble> {
    this.ensemble = await startZooKeeperEnsemble(size);
    return this.ensemble;
  }

  /** `orchestra run api` on a free loopback port; `server` points at it. */
  startApi(): Promise<OrchestraProcess> {
    return this.start(["api", "--host", "127.0.0.1", "--port", "0"], { waitForApi: true });
  }

  startController(): Promise<OrchestraProcess> {
    return this.start(["controller"], { readyText: "controller running on" });
  }

  startScheduler(): Promise<OrchestraProcess> {
    return this.start(["scheduler"], { readyText: "scheduler running on" });
  }

  /** The bridge network of a node's pods. */
  networkOf(node: string): string {
    return `orchestra-${node}`;
  }

  /** `orchestra run worker` for node `name` on the local engine, on its own network. */
  startWorker(name: string, extraArgs: string[] = []): Promise<OrchestraProcess> {
    const args = ["worker", "--name", name, "--address", "127.0.0.1", "--network", this.networkOf(name)];
    // Several workers on one machine: each node endpoint on a free port, which its registration carries.
    args.push("--pod-cidr", this.podCidr, "--endpoint-port", "0");
    return this.start([...args, ...extraArgs], { readyText: "worker running on" });
  }

  /**
   * Every component at once, as an operator's service manager would start them: the API, `controllers`
   * controllers, `schedulers` schedulers and a worker per node with `workerArgs`. Rejects with the first failure;
   * every process started is still tracked for cleanup().
   */
  async startCluster(options: { controllers: number; schedulers: number; workerArgs?: string[] }): Promise<{
    api: OrchestraProcess;
    controllers: OrchestraProcess[];
    schedulers: OrchestraProcess[];
    /** By node name. */
    workers: Map<string, OrchestraProcess>;
  }> {
    const times = (n: number, start: () => Promise<OrchestraProcess>) => Array.from({ length: n }, start);
    const groups = [
      [this.startApi()],
      times(options.controllers, () => this.startController()),
      times(options.schedulers, () => this.startScheduler()),
      this.nodeNames.map((node) => this.startWorker(node, options.workerArgs)),
    ];
    const failed = (await Promise.allSettled(groups.flat())).find((result) => result.status === "rejected");
    if (failed) throw failed.reason;
    const [[api], controllers, schedulers, workers] = await Promise.all(
      groups.map((group) => Promise.all(group)),
    );
    return {
      api: api as OrchestraProcess,
      controllers: controllers as OrchestraProcess[],
      schedulers: schedulers as OrchestraProcess[],
      workers: new Map(
        this.nodeNames.map((node, i) => [node, (workers as OrchestraProcess[])[i] as OrchestraProcess]),
      ),
    };
  }

  /** A Store client of the test's own on the run's ZooKeeper (closed by cleanup()), to read what the components wrote. */
  async storeClient(): Promise<ZooKeeperStore> {
    const client = await openZooKeeperStore({
      connectString: this.connectString,
      root: "/orchestra",
      sessionTimeoutMs: this.sessionTimeoutMs,
    });
    this.clients.push(client);
    return client;
  }

  /** `orchestra --server <the run's API> ...args`. */
  cli(args: string[]): Promise<CliResult> {
    return runCli(args, { server: this.server });
  }

  /** Like cli(), but asserts success (exit 0, nothing on stderr) and returns stdout. */
  async cliOk(args: string[]): Promise<string> {
    const result = await this.cli(args);
    assert.equal(
      result.code,
      0,
      `orchestra ${args.join(" ")} exited ${result.code}: ${result.stderr}${result.stdout}`,
    );
    assert.equal(result.stderr, "", `orchestra ${args.join(" ")} wrote to stderr`);
    return result.stdout;
  }

  /** GET on the API (faster than a CLI subprocess when polling). */
  async api<T>(path: string): Promise<T> {
    const { status, body } = await httpGet(`${this.server}${path}`);
    assert.equal(status, 200, `GET ${path}: ${status} ${body}`);
    return JSON.parse(body) as T;
  }

  /** The run's containers on Docker (stopped ones included), of every node of the run, by node label. */
  async containers(labels: Record<string, string> = {}): Promise<ObservedContainer[]> {
    // Docker ANDs label filters, so one query per node.
    const perNode = await Promise.all(
      this.nodeNames.map((node) => nodeContainers(this.docker, node, this.networkOf(node), labels)),
    );
    return perNode.flat();
  }

  /** The run's networks on Docker, by name (one per node that started a worker). */
  async networks(): Promise<{ name: string; subnet?: string }[]> {
    const names = this.nodeNames.map((node) => this.networkOf(node));
    const listed = await this.docker.listNetworks();
    return listed
      .filter((network) => names.includes(network.Name))
      .map((network) => ({ name: network.Name, subnet: network.IPAM?.Config?.[0]?.Subnet }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** How many networks of the run Docker has. */
  async networkCount(): Promise<number> {
    return (await this.networks()).length;
  }

  /** The workers' firewall rules of the pod network on this machine (the nodes share its network namespace). */
  async firewallRules(): Promise<string[]> {
    const kernel = new HostKernel();
    const present = [...(await kernel.rules("filter")), ...(await kernel.rules("nat"))];
    return this.nodeNames.flatMap((node) => podNetworkRulesIn(present, node).map(describeRule));
  }

  /** What the run left behind: live processes, containers, networks, a running ZooKeeper. */
  async leftovers(): Promise<{
    processes: number[];
    containers: string[];
    networks: number;
    firewallRules: string[];
    zookeeper: boolean;
  }> {
    return {
      processes: this.processes.filter((p) => p.running).map((p) => p.pid),
      containers: (await this.containers()).map((c) => c.name),
      networks: await this.networkCount(),
      firewallRules: await this.firewallRules(),
      zookeeper:
        (this.zookeeperServer?.running ?? false) || (this.ensemble?.members.some((m) => m.running) ?? false),
    };
  }

  /** Kills every process, closes the test's clients, stops ZooKeeper, removes containers, networks and rules. Idempotent. */
  async cleanup(): Promise<void> {
    const problems: string[] = [];
    // Processes first: a live worker would start containers again behind our back.
    await Promise.all(this.processes.map((p) => p.terminate("SIGKILL")));
    for (const client of this.clients.splice(0)) {
      await client.close().catch((error: Error) => problems.push(`store client: ${error.message}`));
    }
    for (const zookeeper of [this.zookeeperServer, this.ensemble]) {
      await zookeeper?.stop().catch((error: Error) => problems.push(`ZooKeeper: ${error.message}`));
    }
    const leftovers = await this.containers().catch(() => []);
    const networks = this.nodeNames.map((node) => this.networkOf(node));
    problems.push(...(await removeDockerLeftovers(this.docker, leftovers, networks)));
    // Killed workers leave their rules (a clean stop would too: they are for the pods, which outlive it).
    await removeDataPath(new HostKernel(), this.nodeNames).catch((error: Error) =>
      problems.push(`firewall rules: ${error.message}`),
    );
    if (problems.length > 0) throw new Error(`cleanup of ${this.id} failed: ${problems.join("; ")}`);
  }

  /** `orchestra run ...args --store <the run's> --session-timeout ...`, tracked for cleanup(). */
  async start(
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
      ...this.storeArgs,
    ];
    const started = await OrchestraProcess.start(component, { waitForApi: false, ...options });
    this.processes.push(started);
    if (started.url) this.server = started.url;
    return started;
  }
}

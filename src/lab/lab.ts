// A local multi-host cluster, like kind or k3d: N hosts as network namespaces on one bridge, each with its own
// Docker engine and an Orchestra worker inside it, a real ZooKeeper and the control plane (API server,
// controller, scheduler, cluster DNS) in the root namespace. Everything runs detached: the lab outlives
// `orchestra lab up` and goes with `orchestra lab down` (lab-teardown.ts), which tests call too.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import Docker from "dockerode";
import type { NodeInfo } from "../core/types.js";
import { HostKernel } from "../network/host-kernel.js";
import { DEFAULT_POD_CIDR } from "../network/pod-cidr.js";
import { hasNetAdmin } from "../network/privilege.js";
import { DockerRuntime } from "../runtime/docker/docker-runtime.js";
import { freePort, lastLines, readText, startComponent } from "./lab-components.js";
import { freshForwarding, LabEngine } from "./lab-engine.js";
import { createHostNamespace, createLabBridge } from "./lab-network.js";
import {
  DEFAULT_LAB_NAME,
  DEFAULT_LAB_ROOT,
  hostAddress,
  hostIndex,
  hostName,
  netnsPath,
  pickLabSubnet,
  rootAddress,
} from "./lab-plan.js";
import { type LabHostState, type LabState, readLabState, writeLabState } from "./lab-state.js";
import { isAlive, listNetns, terminate } from "./lab-system.js";
import { isEmpty, labLeftovers, teardownLab } from "./lab-teardown.js";
import { startLabZooKeeper } from "./lab-zookeeper.js";

export const DEFAULT_LAB_HOSTS = 3;
export const DEFAULT_LAB_IMAGES = ["orchestra/hello:latest", "orchestra/test-busybox:latest"];
const DNS_PORT = 53;
const READY_TIMEOUT_MS = 60_000;

export interface LabOptions {
  name?: string;
  hosts?: number;
  /** Where the lab's folder goes. Default /var/lib/orchestra-lab. */
  root?: string;
  /** The cluster's pod CIDR. Default 10.42.0.0/16. */
  podCidr?: string;
  /** Images copied from `imageSource` into every engine. Default: the demo images. */
  images?: readonly string[];
  /** Default: the machine's engine. */
  imageSource?: Docker;
  /** Extra `orchestra run worker` flags for every worker. */
  workerArgs?: readonly string[];
}

export class Lab {
  private constructor(
    private current: LabState,
    private readonly options: LabOptions,
  ) {}

  /** Creates the lab; on any failure removes what it made and rethrows. */
  static async up(options: LabOptions = {}): Promise<Lab> {
    const name = options.name ?? DEFAULT_LAB_NAME;
    const root = options.root ?? DEFAULT_LAB_ROOT;
    assertCanRun();
    const left = labLeftovers(name, root);
    if (!isEmpty(left)) {
      throw new Error(
        `a lab named "${name}" exists on this machine: remove it first with orchestra lab down --name ${name}`,
      );
    }
    const dir = join(root, name);
    mkdirSync(dir, { recursive: true });
    try {
      const subnet = pickLabSubnet(await new HostKernel().routes());
      const lab = new Lab(
        {
          name,
          dir,
          subnet,
          rootAddress: rootAddress(subnet),
          podCidr: options.podCidr ?? DEFAULT_POD_CIDR,
          components: [],
          hosts: [],
        },
        options,
      );
      lab.save();
      await createLabBridge(name, subnet);
      await lab.startControlPlane();
      const count = options.hosts ?? DEFAULT_LAB_HOSTS;
      await Promise.all(Array.from({ length: count }, (_, i) => lab.addHost(i + 1)));
      return lab;
    } catch (err) {
      await teardownLab(name, root).catch(() => undefined);
      throw err;
    }
  }

  /** A lab that runs, from its state file. */
  static open(name = DEFAULT_LAB_NAME, root = DEFAULT_LAB_ROOT): Lab {
    const state = readLabState(join(root, name));
    if (!state) throw new Error(`no lab named "${name}" here (no ${join(root, name, "lab.json")})`);
    return new Lab(state, { name, root });
  }

  /** Removes the lab, also after a crash or without its state file. Throws when something could not be removed. */
  static async down(name = DEFAULT_LAB_NAME, root = DEFAULT_LAB_ROOT): Promise<void> {
    assertCanRun();
    await teardownLab(name, root);
    const left = labLeftovers(name, root);
    if (!isEmpty(left))
      throw new Error(`lab "${name}" could not be removed entirely: ${JSON.stringify(left)}`);
  }

  get name(): string {
    return this.current.name;
  }

  get state(): Readonly<LabState> {
    return this.current;
  }

  get apiUrl(): string {
    return this.current.apiUrl ?? "";
  }

  get storeUrl(): string {
    return this.current.storeUrl ?? "";
  }

  get hosts(): readonly LabHostState[] {
    return this.current.hosts;
  }

  host(name: string): LabHostState {
    const found = this.current.hosts.find((host) => host.name === name);
    if (!found) throw new Error(`lab "${this.name}" has no host ${name}`);
    return found;
  }

  engine(host: string): LabEngine {
    return new LabEngine({ lab: this.name, dir: join(this.current.dir, host), netns: this.host(host).netns });
  }

  /** A runtime on the host's engine (exec in its containers, ...); close it after use. */
  runtime(host: string): DockerRuntime {
    return new DockerRuntime({ dockerHost: this.host(host).dockerHost });
  }

  /** The host's routes and firewall rules. */
  kernel(host: string): HostKernel {
    return new HostKernel({ netnsPath: netnsPath(this.host(host).netns) });
  }

  /** Adds a host (the next number, unless given) with its engine and its worker; resolves once it is registered. */
  async addHost(index = this.nextIndex()): Promise<LabHostState> {
    const name = hostName(index);
    const dir = join(this.current.dir, name);
    const netns = await createHostNamespace(this.name, this.current.subnet, index);
    const engine = new LabEngine({ lab: this.name, dir, netns });
    const host: LabHostState = {
      name,
      netns,
      address: hostAddress(this.current.subnet, index),
      dockerHost: engine.host,
    };
    this.current.hosts.push(host);
    this.current.hosts.sort((a, b) => hostIndex(a.name) - hostIndex(b.name));
    this.save();
    await freshForwarding(netns);
    host.dockerdPid = await engine.start();
    this.save();
    const images = this.options.images ?? DEFAULT_LAB_IMAGES;
    await engine.loadImages(images, this.options.imageSource ?? new Docker()).catch((err: Error) => {
      throw new Error(
        `cannot copy ${images.join(", ")} into ${name}'s engine (${err.message}): build them with scripts/build-demo-image.sh`,
      );
    });
    await this.startWorker(name);
    return host;
  }

  /** Starts the host's worker (again); resolves once its node is registered. */
  async startWorker(host: string): Promise<number> {
    const state = this.host(host);
    const started = await startComponent(
      {
        lab: this.name,
        dir: join(this.current.dir, host),
        role: "worker",
        netns: state.netns,
        args: [
          "worker",
          "--store",
          this.storeUrl,
          "--name",
          host,
          "--address",
          state.address,
          "--docker-host",
          state.dockerHost,
          "--pod-cidr",
          this.current.podCidr,
          "--cluster-dns",
          this.current.rootAddress,
          "--label",
          `host=${host}`,
          ...(this.options.workerArgs ?? []),
        ],
      },
      "worker running on",
    );
    state.workerPid = started.pid;
    this.save();
    await this.waitRegistered(host, started.log);
    return started.pid;
  }

  /** Stops the host's worker (SIGTERM: cleanly; SIGKILL: a crash); its pods keep running. */
  async stopWorker(host: string, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    const state = this.host(host);
    if (state.workerPid !== undefined) await terminate([state.workerPid], signal, 15_000);
    state.workerPid = undefined;
    this.save();
  }

  async down(): Promise<void> {
    await Lab.down(this.name, this.options.root ?? DEFAULT_LAB_ROOT);
  }

  private nextIndex(): number {
    return Math.max(0, ...this.current.hosts.map((host) => hostIndex(host.name))) + 1;
  }

  private save(): void {
    writeLabState(this.current);
  }

  private async startControlPlane(): Promise<void> {
    const { rootAddress: address, dir } = this.current;
    const zookeeper = await startLabZooKeeper({
      lab: this.name,
      dir: join(dir, "zookeeper"),
      host: address,
      port: await freePort(address),
    });
    this.current.zookeeperPid = zookeeper.pid;
    this.current.storeUrl = `zk://${zookeeper.address}/orchestra`;
    this.save();
    const store = ["--store", this.storeUrl];
    const apiPort = await freePort("127.0.0.1");
    const components: [string, string[], string][] = [
      ["api", ["api", ...store, "--host", "127.0.0.1", "--port", String(apiPort)], "API server listening at"],
      ["controller", ["controller", ...store], "controller running on"],
      ["scheduler", ["scheduler", ...store], "scheduler running on"],
      ["dns", ["dns", ...store, "--host", address, "--port", String(DNS_PORT)], "DNS server listening on"],
    ];
    await Promise.all(
      components.map(async ([role, args, ready]) => {
        const started = await startComponent({ lab: this.name, dir, role, args }, ready);
        this.current.components.push({ role, pid: started.pid });
        this.save();
      }),
    );
    this.current.apiUrl = `http://127.0.0.1:${apiPort}`;
    this.current.dns = `${address}:${DNS_PORT}`;
    this.save();
  }

  private async waitRegistered(host: string, log: string): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      const nodes = await fetch(`${this.apiUrl}/nodes`, { signal: AbortSignal.timeout(2000) })
        .then((response) => response.json() as Promise<(NodeInfo & { ready?: boolean })[]>)
        .catch(() => []);
      if (nodes.some((node) => node.name === host && node.ready !== false)) return;
      const pid = this.host(host).workerPid;
      if (pid === undefined || !isAlive(pid) || Date.now() > deadline) {
        throw new Error(`the worker of ${host} did not register:\n${lastLines(readText(log))}`);
      }
      await sleep(50);
    }
  }
}

/** The lab makes namespaces and runs engines: root only. */
function assertCanRun(): void {
  if (process.getuid?.() !== 0 || !hasNetAdmin()) {
    throw new Error("orchestra lab needs root: it makes network namespaces and runs Docker engines");
  }
}

/** The names of the labs on this machine (from their namespaces). */
export function labsOnMachine(): string[] {
  const names = listNetns().flatMap((ns) => {
    const match = /^olab-([a-z][a-z0-9]*)-hub$/.exec(ns);
    return match?.[1] ? [match[1]] : [];
  });
  return [...new Set(names)].sort();
}

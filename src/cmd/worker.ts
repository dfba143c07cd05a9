// Starts a worker on this machine's Docker engine (`orchestra run worker`, and inside `orchestra up`): claims
// the node's pod subnet, makes the bridge network on it, keeps the routes and firewall rules of the pod network
// across machines (unless `local`), then runs the Worker.
import { resolve } from "node:path";
import { logger } from "../core/logger.js";
import { EventRecorder, type EventSink } from "../events/event-recorder.js";
import type { SharedInformers } from "../machinery/shared-informers.js";
import { HostKernel } from "../network/host-kernel.js";
import type { NetworkKernel } from "../network/kernel.js";
import { PodNetwork } from "../network/pod-network.js";
import { dataPathRefusal, hasNetAdmin } from "../network/privilege.js";
import { PublishedPortRules } from "../network/published-port-rules.js";
import { allocateNodeSubnet, type NodeSubnetAllocation } from "../network/subnet-allocator.js";
import { DockerRuntime } from "../runtime/docker/docker-runtime.js";
import type { ContainerRuntime, NetworkInfo } from "../runtime/runtime.js";
import type { SecretKeyRing } from "../secrets/secret-key-ring.js";
import type { Store } from "../store/store.js";
import { defaultNodeAddress, defaultNodeName } from "../worker/node-address.js";
import { attachPodUsageMetrics } from "../worker/pod-usage-metrics.js";
import { Worker } from "../worker/worker.js";
import {
  type RunningWorkerEndpoint,
  startWorkerEndpoint,
  type WorkerEndpointOptions,
} from "./worker-endpoint.js";

/**
 * `routed`: pods reach pods on other machines (a route to each node's subnet, the pod CIDR left unmasqueraded);
 * needs root or CAP_NET_ADMIN. `local`: one machine only (`orchestra up`), Docker's own masquerade, no privilege.
 */
export type PodNetworkMode = "routed" | "local";

export interface WorkerProcessOptions {
  store: Store;
  name?: string;
  address?: string;
  labels?: Record<string, string>;
  dockerHost?: string;
  network?: string;
  /** The cluster's pod CIDR (`--pod-cidr`): must match the one recorded in the store, if any. */
  podCidr?: string;
  /** Default `routed`. */
  podNetwork?: PodNetworkMode;
  dns?: { servers: string[]; search: string[] };
  stopGraceSeconds?: number;
  /** Directories under which pods may mount host paths (`--allow-host-path`, repeatable). */
  allowHostPaths?: string[];
  /** Decrypts the secrets its pods use (`--secrets-key-file`). */
  secrets?: SecretKeyRing;
  /** Where the worker's events go. Default: the store, as `worker/<node>`. */
  events?: EventSink;
  /** The process's informers (`up`), which the published-port rules watch through; else they make their own. */
  informers?: SharedInformers;
  /** Publish on 127.0.0.1 too, enabling `route_localnet` on the pod bridge (`up`). Default: only if already on. */
  publishOnLoopback?: boolean;
  /** The node endpoint (logs, exec, usage for API servers): see worker-endpoint.ts. */
  endpoint?: WorkerEndpointOptions;
}

export const DEFAULT_NETWORK = "orchestra";

export async function startWorker(
  options: WorkerProcessOptions,
): Promise<{ worker: Worker; endpointUrl: string; stop(): Promise<void> }> {
  const mode = options.podNetwork ?? "routed";
  if (mode === "routed") {
    const refusal = dataPathRefusal();
    if (refusal) throw new Error(refusal);
  }
  const runtime = new DockerRuntime({ dockerHost: options.dockerHost });
  const kernel = new HostKernel();
  const name = options.name ?? defaultNodeName();
  const address = options.address ?? defaultNodeAddress();
  const recorder = options.events ? undefined : new EventRecorder(options.store, `worker/${name}`);
  let dataPath: PodNetwork | undefined;
  let ports: PublishedPortRules | undefined;
  let worker: Worker | undefined;
  let endpoint: RunningWorkerEndpoint | undefined;
  try {
    const { allocation, network } = await ensurePodNetwork({
      store: options.store,
      runtime,
      kernel,
      node: name,
      address,
      network: options.network ?? DEFAULT_NETWORK,
      podCidr: options.podCidr,
      mode,
    });
    // After the network checks (a refused worker binds nothing), before the registration that carries its URL.
    endpoint = await startWorkerEndpoint({
      store: options.store,
      runtime,
      node: name,
      address,
      options: options.endpoint,
      worker: () => worker,
    });
    if (mode === "routed") {
      dataPath = new PodNetwork({ store: options.store, kernel, node: name, ...allocation });
      await dataPath.start();
    }
    worker = new Worker({
      store: options.store,
      runtime,
      name,
      address,
      endpoint: endpoint.url,
      endpointCertificate: endpoint.certificate,
      labels: options.labels,
      network: { name: network.name, subnet: allocation.subnet, masquerade: mode === "local" },
      dns: options.dns,
      stopGraceSeconds: options.stopGraceSeconds,
      allowHostPaths: options.allowHostPaths?.map((dir) => resolve(dir)),
      secrets: options.secrets,
      events: options.events ?? recorder,
      // A failing pod leaves this node's published ports before its container stops (see withdrawn).
      beforeStop: async (pod) => ports?.withdrawn(pod.name),
    });
    await worker.start();
    // Published ports need CAP_NET_ADMIN, which a routed worker has; `up` (local) without it says so.
    if (mode === "routed" || hasNetAdmin()) {
      ports = new PublishedPortRules({
        store: options.store,
        kernel,
        node: name,
        subnet: allocation.subnet,
        gateway: network.gateway,
        informers: options.informers,
        loopback: options.publishOnLoopback ? "enable" : "if-allowed",
      });
      await ports.start();
    } else {
      logger("worker", { node: name }).warn(
        "published ports are not served: the worker needs root or CAP_NET_ADMIN for them",
      );
    }
  } catch (err) {
    // The worker runs once the published ports are being set up: stop it if they fail.
    if (ports) {
      await ports.stop();
      await worker?.stop();
    }
    await dataPath?.stop();
    await endpoint?.close();
    await runtime.close();
    throw err;
  }
  // Each running pod's CPU and memory on the process's metrics, read from the engine at scrape time.
  const detachUsage = attachPodUsageMetrics({
    node: name,
    list: (filter) => runtime.list(filter),
    stats: (id) => runtime.stats(id),
  });
  const running = worker;
  const endpointUrl = endpoint.url;
  const closeEndpoint = endpoint.close;
  return {
    worker: running,
    endpointUrl,
    async stop() {
      detachUsage();
      await ports?.stop();
      await running.stop();
      await closeEndpoint();
      await dataPath?.stop();
      await recorder?.flush();
      await runtime.close();
    },
  };
}

export interface PodNetworkRequest {
  store: Store;
  runtime: ContainerRuntime;
  kernel: NetworkKernel;
  node: string;
  address: string;
  /** The engine's bridge network for this node's pods. */
  network: string;
  podCidr?: string;
  mode: PodNetworkMode;
}

/**
 * Claims (or finds) the node's /24 and makes sure the node's bridge network is on it. A network of that name
 * on another subnet (another worker's on a shared engine, or one made before the pod network) is refused.
 */
export async function ensurePodNetwork(
  request: PodNetworkRequest,
): Promise<{ allocation: NodeSubnetAllocation; network: NetworkInfo }> {
  const allocation = await allocateNodeSubnet(request.store, {
    node: request.node,
    address: request.address,
    podCidr: request.podCidr,
    routes: await request.kernel.routes(),
  });
  const network = await request.runtime.ensureNetwork({
    name: request.network,
    subnet: allocation.subnet,
    masquerade: request.mode === "local",
  });
  if (network.subnet !== allocation.subnet) {
    throw new Error(
      `network "${network.name}" on the engine has subnet ${network.subnet}, but node "${request.node}" holds ${allocation.subnet}: each node needs a network of its own (--network NAME); remove an old one with orchestra down --network ${network.name}`,
    );
  }
  return { allocation, network };
}

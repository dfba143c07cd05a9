// The all-in-one (`orchestra up`): API server, controller, scheduler, cluster DNS and one worker on the
// local Docker engine, sharing one embedded store on local disk.
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import type { ApiServerOptions } from "../api/server.js";
import { Controller } from "../controller/controller.js";
import { logger } from "../core/logger.js";
import { DNS_PORT, type Upstream } from "../dns/upstreams.js";
import { EventRecorder } from "../events/event-recorder.js";
import { SharedInformers } from "../machinery/shared-informers.js";
import { HostKernel } from "../network/host-kernel.js";
import { DockerRuntime } from "../runtime/docker/docker-runtime.js";
import { Scheduler } from "../scheduler/scheduler.js";
import { ensureKeyFile, readKeyFile } from "../secrets/secret-key-file.js";
import type { Store } from "../store/store.js";
import { defaultNodeName } from "../worker/node-address.js";
import { startApiServer } from "./api.js";
import { type RunningDns, startDns } from "./dns.js";
import { type Stoppable, stopAll } from "./lifecycle.js";
import { openStore } from "./open-store.js";
import { DEFAULT_NETWORK, ensurePodNetwork, startWorker } from "./worker.js";

export interface UpOptions {
  dataDir: string;
  apiHost: string;
  apiPort: number;
  token?: string;
  /** Serve the API over HTTPS with this certificate and key (PEM); required off loopback. */
  tls?: { cert: string; key: string };
  /** The API server's Host and Origin allow-lists (see ApiServerOptions). */
  allowedHosts?: string[];
  allowedOrigins?: string[];
  /** The API server's timeouts, connection cap and deployment cap (defaults in src/core/limits.ts). */
  apiLimits?: Pick<
    ApiServerOptions,
    "requestTimeoutMs" | "idleTimeoutMs" | "maxConnections" | "maxDeployments"
  >;
  dockerHost?: string;
  nodeName?: string;
  network?: string;
  /** The cluster's pod CIDR (default 10.42.0.0/16); the node gets the first /24 of it. */
  podCidr?: string;
  stopGraceSeconds?: number;
  /** Cluster DNS on the pod network's gateway, port 53. Default on. */
  dns?: boolean;
  /** Default `cluster.local`. */
  domain?: string;
  /** Resolvers for names outside the cluster. Default: the nameservers of /etc/resolv.conf. */
  upstreams?: Upstream[];
  zoneFile?: string;
  /** Directories under which pods may mount host paths. Default: none. */
  allowHostPaths?: string[];
  /** The secrets key file. Default: `<dataDir>/secrets.key`, made (mode 0600) when missing. */
  secretsKeyFile?: string;
  /** Port of the worker's node endpoint on 127.0.0.1. Default 0: any free port (it is registered with the node). */
  nodeEndpointPort?: number;
}

export interface RunningCluster {
  apiUrl: string;
  nodeName: string;
  /** The store every component shares (for in-process observers such as the benchmarks). */
  store: Store;
  /** Where the cluster DNS serves, when it runs. */
  dns?: { address: string; port: number; domain: string };
  components: Stoppable[];
  stop(): Promise<void>;
}

/** The all-in-one's node is this machine; pods are reached on their bridge addresses from here. */
const UP_NODE_ADDRESS = "127.0.0.1";

/** `open` opens the store (a test may wrap it). */
export async function up(options: UpOptions, open = openStore): Promise<RunningCluster> {
  const log = logger("up");
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  // The key is read (or made) first: a key file others may read stops here, before anything starts.
  const secrets = options.secretsKeyFile
    ? readKeyFile(options.secretsKeyFile)
    : ensureKeyFile(join(dataDir, "secrets.key"));
  const opened = await open(`embedded:${dataDir}`);
  const components: Stoppable[] = [{ name: "store", stop: () => opened.close() }];
  const stop = () => stopAll(components, log);
  try {
    // The node's subnet and network first: a pod CIDR that cannot be used stops `up` before anything runs.
    // Containers resolve through the DNS server on the network's gateway, so the network must exist before
    // DNS starts, and DNS before the worker starts containers pointed at it.
    const gateway = await podNetworkGateway(opened.store, options);

    // One watch and one cache per directory (/pods, /nodes, /deployments, /nodeconfig) for every component
    // here, stopped once, after all of them.
    const informers = new SharedInformers(opened.store, { logger: log });
    components.push({ name: "informers", stop: () => informers.stop() });
    const controller = new Controller(opened.store, {
      events: new EventRecorder(opened.store, "controller"),
      informers,
    });
    await controller.start();
    components.push({ name: "controller", stop: () => controller.stop() });

    const scheduler = new Scheduler(opened.store, {
      events: new EventRecorder(opened.store, "scheduler"),
      informers,
    });
    await scheduler.start();
    components.push({ name: "scheduler", stop: () => scheduler.stop() });

    let dns: RunningDns | undefined;
    if (options.dns !== false) {
      dns = await startDns({
        store: opened.store,
        host: gateway,
        port: DNS_PORT,
        domain: options.domain,
        upstreams: options.upstreams,
        zoneFile: options.zoneFile,
        informers,
      }).catch((err: Error) => {
        throw new Error(
          `cannot serve DNS on ${gateway}:${DNS_PORT} (${err.message}); --no-dns runs without it`,
        );
      });
      const running = dns;
      components.push({ name: "dns", stop: () => running.stop() });
    }

    const worker = await startWorker({
      store: opened.store,
      name: options.nodeName,
      dockerHost: options.dockerHost,
      network: options.network,
      podCidr: options.podCidr,
      // One machine: nothing to route, and Docker's own masquerade needs no privilege.
      podNetwork: "local",
      stopGraceSeconds: options.stopGraceSeconds,
      allowHostPaths: options.allowHostPaths,
      secrets,
      dns: dns ? { servers: [dns.address], search: [dns.domain] } : undefined,
      address: UP_NODE_ADDRESS,
      informers,
      // One machine: its users reach published ports on 127.0.0.1 first.
      publishOnLoopback: true,
      endpoint: { port: options.nodeEndpointPort ?? 0, dataDir },
    });
    components.push({ name: "worker", stop: () => worker.stop() });

    const api = await startApiServer({
      store: opened.store,
      host: options.apiHost,
      port: options.apiPort,
      token: options.token,
      tls: options.tls,
      allowedHosts: options.allowedHosts,
      allowedOrigins: options.allowedOrigins,
      ...options.apiLimits,
      informers,
      secretsKey: secrets,
    });
    components.push({ name: "api", stop: () => api.close() });
    return {
      apiUrl: api.url,
      nodeName: worker.worker.name,
      store: opened.store,
      dns: dns && { address: dns.address, port: dns.port, domain: dns.domain },
      components,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Claims the node's subnet and creates its network when missing; the gateway is this machine's address on it. */
async function podNetworkGateway(store: Store, options: UpOptions): Promise<string> {
  const runtime = new DockerRuntime({ dockerHost: options.dockerHost });
  try {
    const { network } = await ensurePodNetwork({
      store,
      runtime,
      kernel: new HostKernel(),
      node: options.nodeName ?? defaultNodeName(),
      address: UP_NODE_ADDRESS,
      network: options.network ?? DEFAULT_NETWORK,
      podCidr: options.podCidr,
      mode: "local",
    });
    return network.gateway;
  } finally {
    await runtime.close();
  }
}

// The all-in-one (`orchestra up`): API server, controller, scheduler, cluster DNS and one worker on the
// local Docker engine, sharing one embedded store on local disk.
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { Controller } from "../controller/controller.js";
import { logger } from "../core/logger.js";
import { DNS_PORT, type Upstream } from "../dns/upstreams.js";
import { EventRecorder } from "../events/event-recorder.js";
import { SharedInformers } from "../machinery/shared-informers.js";
import { DockerRuntime } from "../runtime/docker/docker-runtime.js";
import { Scheduler } from "../scheduler/scheduler.js";
import type { Store } from "../store/store.js";
import { startApiServer } from "./api.js";
import { type RunningDns, startDns } from "./dns.js";
import { type Stoppable, stopAll } from "./lifecycle.js";
import { openStore } from "./open-store.js";
import { DEFAULT_NETWORK, startWorker } from "./worker.js";

export interface UpOptions {
  dataDir: string;
  apiHost: string;
  apiPort: number;
  token?: string;
  dockerHost?: string;
  nodeName?: string;
  network?: string;
  subnet?: string;
  stopGraceSeconds?: number;
  /** Cluster DNS on the pod network's gateway, port 53. Default on. */
  dns?: boolean;
  /** Default `cluster.local`. */
  domain?: string;
  /** Resolvers for names outside the cluster. Default: the nameservers of /etc/resolv.conf. */
  upstreams?: Upstream[];
  zoneFile?: string;
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

/** `open` opens the store (a test may wrap it). */
export async function up(options: UpOptions, open = openStore): Promise<RunningCluster> {
  const log = logger("up");
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const opened = await open(`embedded:${dataDir}`);
  const components: Stoppable[] = [{ name: "store", stop: () => opened.close() }];
  const stop = () => stopAll(components, log);
  try {
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

    // Containers resolve through the DNS server on their network's gateway: the network (and so that address)
    // must exist before DNS starts, and DNS before the worker starts containers pointed at it.
    let dns: RunningDns | undefined;
    if (options.dns !== false) {
      const gateway = await podNetworkGateway(options);
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
      subnet: options.subnet,
      stopGraceSeconds: options.stopGraceSeconds,
      dns: dns ? { servers: [dns.address], search: [dns.domain] } : undefined,
      // The all-in-one's node is this machine; pods are reached on their bridge addresses from here.
      address: "127.0.0.1",
      endpoint: { port: options.nodeEndpointPort ?? 0 },
    });
    components.push({ name: "worker", stop: () => worker.stop() });

    const api = await startApiServer({
      store: opened.store,
      host: options.apiHost,
      port: options.apiPort,
      token: options.token,
      informers,
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

/** Creates the pod network when missing; its gateway is this machine's address on it. */
async function podNetworkGateway(options: UpOptions): Promise<string> {
  const runtime = new DockerRuntime({ dockerHost: options.dockerHost });
  try {
    const network = await runtime.ensureNetwork({
      name: options.network ?? DEFAULT_NETWORK,
      subnet: options.subnet,
    });
    return network.gateway;
  } finally {
    await runtime.close();
  }
}

// Starts a worker on this machine's Docker engine (`orchestra run worker`, and inside `orchestra up`).
import { EventRecorder, type EventSink } from "../events/event-recorder.js";
import { EndpointAuthenticator } from "../node-endpoint/endpoint-credentials.js";
import {
  DEFAULT_NODE_ENDPOINT_PORT,
  type NodeEndpointLimits,
  type RunningNodeEndpoint,
  startNodeEndpoint,
} from "../node-endpoint/node-endpoint.js";
import { DockerRuntime } from "../runtime/docker/docker-runtime.js";
import type { ContainerRuntime } from "../runtime/runtime.js";
import type { Store } from "../store/store.js";
import { defaultNodeAddress, defaultNodeName } from "../worker/node-address.js";
import { Worker } from "../worker/worker.js";

export interface WorkerProcessOptions {
  store: Store;
  name?: string;
  address?: string;
  labels?: Record<string, string>;
  dockerHost?: string;
  network?: string;
  subnet?: string;
  dns?: { servers: string[]; search: string[] };
  stopGraceSeconds?: number;
  /** Where the worker's events go. Default: the store, as `worker/<node>`. */
  events?: EventSink;
  /** The node endpoint (logs, exec, usage for API servers): host default the node's address, port default 10250 (0: any free port). */
  endpoint?: { host?: string; port?: number; limits?: Partial<NodeEndpointLimits> };
  /** The process's metrics, served on the node endpoint's GET /metrics. */
  metrics?: () => Promise<{ contentType: string; body: string }>;
  /** The engine; default Docker at `dockerHost` (tests pass a fake). Closed by stop(). */
  runtime?: ContainerRuntime;
}

export const DEFAULT_NETWORK = "orchestra";

export async function startWorker(
  options: WorkerProcessOptions,
): Promise<{ worker: Worker; endpointUrl: string; stop(): Promise<void> }> {
  const runtime = options.runtime ?? new DockerRuntime({ dockerHost: options.dockerHost });
  const name = options.name ?? defaultNodeName();
  const recorder = options.events ? undefined : new EventRecorder(options.store, `worker/${name}`);
  const address = options.address ?? defaultNodeAddress();
  // The endpoint listens before the worker registers its node, so that the registration carries its URL.
  let worker: Worker | undefined;
  const authenticator = new EndpointAuthenticator(options.store);
  let endpoint: RunningNodeEndpoint | undefined;
  try {
    await authenticator.start();
    endpoint = await startNodeEndpoint({
      host: options.endpoint?.host ?? address,
      port: options.endpoint?.port ?? DEFAULT_NODE_ENDPOINT_PORT,
      limits: options.endpoint?.limits,
      authenticate: (authorization) => authenticator.check(authorization),
      metrics: options.metrics,
      pods: {
        node: name,
        runtime,
        hasPod: (podId) => worker?.hasPod(podId) ?? false,
        previous: (podId) => worker?.previousLogs.get(podId),
      },
    });
  } catch (err) {
    authenticator.stop();
    await runtime.close();
    throw err;
  }
  const endpointUrl = `http://${address.includes(":") ? `[${address}]` : address}:${new URL(endpoint.url).port}`;
  worker = new Worker({
    store: options.store,
    runtime,
    name,
    address,
    endpoint: endpointUrl,
    labels: options.labels,
    network: { name: options.network ?? DEFAULT_NETWORK, subnet: options.subnet },
    dns: options.dns,
    stopGraceSeconds: options.stopGraceSeconds,
    events: options.events ?? recorder,
  });
  const running = worker;
  const closeEndpoint = async () => {
    await endpoint.close();
    authenticator.stop();
  };
  try {
    await running.start();
  } catch (err) {
    await closeEndpoint();
    await runtime.close();
    throw err;
  }
  return {
    worker: running,
    endpointUrl,
    async stop() {
      await running.stop();
      await closeEndpoint();
      await recorder?.flush();
      await runtime.close();
    },
  };
}

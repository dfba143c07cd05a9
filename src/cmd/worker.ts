// Starts a worker on this machine's Docker engine (`orchestra run worker`, and inside `orchestra up`).
import { resolve } from "node:path";
import { EventRecorder, type EventSink } from "../events/event-recorder.js";
import { DockerRuntime } from "../runtime/docker/docker-runtime.js";
import type { SecretKeyRing } from "../secrets/secret-key-ring.js";
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
  /** Directories under which pods may mount host paths (`--allow-host-path`, repeatable). */
  allowHostPaths?: string[];
  /** Decrypts the secrets its pods use (`--secrets-key-file`). */
  secrets?: SecretKeyRing;
  /** Where the worker's events go. Default: the store, as `worker/<node>`. */
  events?: EventSink;
}

export const DEFAULT_NETWORK = "orchestra";

export async function startWorker(
  options: WorkerProcessOptions,
): Promise<{ worker: Worker; stop(): Promise<void> }> {
  const runtime = new DockerRuntime({ dockerHost: options.dockerHost });
  const name = options.name ?? defaultNodeName();
  const recorder = options.events ? undefined : new EventRecorder(options.store, `worker/${name}`);
  const worker = new Worker({
    store: options.store,
    runtime,
    name,
    address: options.address ?? defaultNodeAddress(),
    labels: options.labels,
    network: { name: options.network ?? DEFAULT_NETWORK, subnet: options.subnet },
    dns: options.dns,
    stopGraceSeconds: options.stopGraceSeconds,
    allowHostPaths: options.allowHostPaths?.map((dir) => resolve(dir)),
    secrets: options.secrets,
    events: options.events ?? recorder,
  });
  try {
    await worker.start();
  } catch (err) {
    await runtime.close();
    throw err;
  }
  return {
    worker,
    async stop() {
      await worker.stop();
      await recorder?.flush();
      await runtime.close();
    },
  };
}

// Starts a worker's node endpoint (logs, exec, usage of its pods for API servers), before the worker registers its
// node so that the registration carries the endpoint's URL (the node's address and the port actually bound) and
// the certificate API servers pin (made now, or kept in the data folder).
import { systemClock } from "../core/clock.js";
import { logger } from "../core/logger.js";
import { ensureEndpointCertificate } from "../node-endpoint/endpoint-certificate.js";
import { EndpointAuthenticator } from "../node-endpoint/endpoint-credentials.js";
import {
  DEFAULT_NODE_ENDPOINT_PORT,
  type NodeEndpointLimits,
  startNodeEndpoint,
} from "../node-endpoint/node-endpoint.js";
import type { ContainerRuntime } from "../runtime/runtime.js";
import type { Store } from "../store/store.js";
import type { Worker } from "../worker/worker.js";

export interface WorkerEndpointOptions {
  /** Bind address; default the node's address. */
  host?: string;
  /** Default 10250 (the kubelet's); 0 binds any free port, which the registration then carries. */
  port?: number;
  limits?: Partial<NodeEndpointLimits>;
  /** Where the endpoint's key pair is kept (`<dir>/tls/`); without one, each start makes a new pair. */
  dataDir?: string;
}

export interface RunningWorkerEndpoint {
  /** What the node's registration tells API servers, e.g. `https://10.0.0.2:10250`. */
  url: string;
  /** The endpoint's certificate (PEM), which the registration carries for API servers to pin. */
  certificate: string;
  close(): Promise<void>;
}

export async function startWorkerEndpoint(request: {
  store: Store;
  runtime: ContainerRuntime;
  node: string;
  /** The node's address, which API servers reach it on. */
  address: string;
  options?: WorkerEndpointOptions;
  /** The worker, once made: until then no pod is its own. */
  worker: () => Worker | undefined;
}): Promise<RunningWorkerEndpoint> {
  const tls = await ensureEndpointCertificate({
    node: request.node,
    address: request.address,
    dataDir: request.options?.dataDir,
    nowMs: systemClock.now(),
  });
  if (tls.made && tls.certFile) {
    logger("worker", { node: request.node }).info(
      { file: tls.certFile },
      "made the node endpoint's certificate",
    );
  }
  const authenticator = new EndpointAuthenticator(request.store);
  try {
    await authenticator.start();
    const endpoint = await startNodeEndpoint({
      host: request.options?.host ?? request.address,
      port: request.options?.port ?? DEFAULT_NODE_ENDPOINT_PORT,
      limits: request.options?.limits,
      authenticate: (authorization, clientCert) => authenticator.check(authorization, clientCert),
      tls,
      pods: {
        node: request.node,
        runtime: request.runtime,
        hasPod: (podId) => request.worker()?.hasPod(podId) ?? false,
        previous: (podId) => request.worker()?.previousLogs.get(podId),
      },
    });
    // Bound perhaps to 0.0.0.0: API servers call the node's address, on the port the endpoint got.
    const { address } = request;
    const url = `https://${address.includes(":") ? `[${address}]` : address}:${new URL(endpoint.url).port}`;
    return {
      url,
      certificate: tls.cert,
      async close() {
        await endpoint.close();
        authenticator.stop();
      },
    };
  } catch (err) {
    authenticator.stop();
    if ((err as NodeJS.ErrnoException).code === "EADDRINUSE") {
      const port = request.options?.port ?? DEFAULT_NODE_ENDPOINT_PORT;
      throw new Error(
        `--endpoint-port: port ${port} is taken on ${request.options?.host ?? request.address} (another worker on this machine?): give each worker its own port, or 0 for any free one`,
      );
    }
    throw err;
  }
}

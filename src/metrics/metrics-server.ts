// The metrics listener of a component that has no HTTP server of its own (controller, scheduler, worker, DNS):
// GET /metrics and nothing else, on loopback unless told otherwise (the figures name deployments and pods).
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { isIPv6 } from "node:net";
import { logger } from "../core/logger.js";
import { METRICS_CONTENT_TYPE, metricsText } from "./metrics-registry.js";

export const DEFAULT_METRICS_HOST = "127.0.0.1";

/** Each component's default port, so that one of each can run on a machine (the API serves /metrics itself). */
export const DEFAULT_METRICS_PORTS = { controller: 9641, scheduler: 9642, worker: 9643, dns: 9644 } as const;

export interface RunningMetricsServer {
  /** e.g. `http://127.0.0.1:9641/metrics`. */
  url: string;
  close(): Promise<void>;
}

const log = logger("metrics");

export interface MetricsServerOptions {
  host?: string;
  port: number;
  /**
   * The port is the component's default rather than one asked for: when it is taken (a second controller on
   * the machine), the component runs without metrics and says so, instead of not starting.
   */
  portIsDefault?: boolean;
}

/** Serves /metrics; undefined when a default port was taken (a warning says so). */
export async function startMetricsServer(
  options: MetricsServerOptions,
): Promise<RunningMetricsServer | undefined> {
  const server = createServer((request, response) => {
    const path = (request.url ?? "").split("?")[0];
    if (path !== "/metrics") {
      response.writeHead(404, { "content-type": "text/plain" }).end("only /metrics is served here\n");
      return;
    }
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain" }).end("use GET\n");
      return;
    }
    metricsText().then(
      (text) => response.writeHead(200, { "content-type": METRICS_CONTENT_TYPE }).end(text),
      (err: unknown) => {
        log.error({ err }, "collecting metrics failed");
        response.writeHead(500, { "content-type": "text/plain" }).end("collecting metrics failed\n");
      },
    );
  });
  // Scrapes are small and quick: a connection that stays idle is closed rather than held.
  server.requestTimeout = 10_000;
  server.keepAliveTimeout = 65_000;
  const host = options.host ?? DEFAULT_METRICS_HOST;
  const taken = await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host, port: options.port }, () => {
      server.off("error", reject);
      resolve();
    });
  }).catch((err: NodeJS.ErrnoException) => {
    const why = `cannot serve metrics on ${host}:${options.port} (${err.message}); --metrics-port picks another port`;
    if (!(options.portIsDefault && err.code === "EADDRINUSE")) throw new Error(why);
    log.warn(`${why}: running without metrics`);
    return "taken" as const;
  });
  if (taken === "taken") return undefined;
  const address = server.address() as AddressInfo;
  const url = `http://${isIPv6(address.address) ? `[${address.address}]` : address.address}:${address.port}/metrics`;
  log.info({ url }, "serving metrics");
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

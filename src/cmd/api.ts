// Starts the API server on an address: the entry used by `orchestra run api` and by `orchestra up`.
import type { AddressInfo } from "node:net";
import { isIPv6 } from "node:net";
import { type ApiServerOptions, buildApiServer } from "../api/server.js";
import { logger } from "../core/logger.js";
import { isLoopback } from "../core/loopback.js";

export { isLoopback } from "../core/loopback.js";

export const DEFAULT_API_HOST = "127.0.0.1";
export const DEFAULT_API_PORT = 8080;

export interface StartApiServerOptions extends ApiServerOptions {
  /** Default 127.0.0.1. A non-loopback host requires a token. */
  host?: string;
  /** Default 8080; 0 picks a free port (see the returned url). */
  port?: number;
}

export interface RunningApiServer {
  /** e.g. `http://127.0.0.1:8080`. */
  url: string;
  /** Stops accepting requests and finishes those in flight. Leaves the store open. */
  close(): Promise<void>;
}

const log = logger("api");

export async function startApiServer(options: StartApiServerOptions): Promise<RunningApiServer> {
  const host = options.host ?? DEFAULT_API_HOST;
  const port = options.port ?? DEFAULT_API_PORT;
  if (!isLoopback(host) && (options.token === undefined || options.token.trim() === "")) {
    throw new Error(
      `refusing to serve the API on ${host} without a token: anyone who can reach it could run containers. ` +
        "Give a token (--token-file or ORCHESTRA_TOKEN) or bind 127.0.0.1.",
    );
  }
  const app = buildApiServer(options);
  await app.listen({ host, port });
  const address = app.server.address() as AddressInfo;
  const url = `http://${isIPv6(address.address) ? `[${address.address}]` : address.address}:${address.port}`;
  log.info({ url, auth: options.token !== undefined }, "API server listening");
  return {
    url,
    async close() {
      await app.close();
      log.info({ url }, "API server stopped");
    },
  };
}

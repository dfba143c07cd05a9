// A worker's node endpoint: what only the machine that runs a pod can do, served over HTTPS to API servers (which
// proxy users' requests to it): a pod's logs, a command run in its container (a WebSocket), its pods' CPU and
// memory. It serves TLS only, with the worker's own certificate (endpoint-certificate.ts), which API servers pin
// (endpoint-pinning.ts). Every route but /healthz requires the credential of endpoint-credentials.ts (a bearer
// token and the client certificate registered with it); a request without it is refused before anything runs. The worker's metrics are on its metrics listener, not here.
import type { AddressInfo } from "node:net";
import { isIPv6 } from "node:net";
import type { TLSSocket } from "node:tls";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import websocket from "@fastify/websocket";
import Fastify, { type FastifyBaseLogger, type FastifyReply, type FastifyRequest } from "fastify";
import type { ApiApp } from "../api/api-app.js";
import { httpErrorOf, UnauthorizedError } from "../api/errors.js";
import { endHalfClosedUpgrades } from "../api/half-closed-upgrades.js";
import { schemaValidatorCompiler } from "../api/validation.js";
import { type Clock, systemClock } from "../core/clock.js";
import { ConflictError, TooManyRequestsError } from "../core/errors.js";
import { EXEC_PROTOCOL } from "../core/exec-channels.js";
import { type Logger, logger as makeLogger } from "../core/logger.js";
import { PodIdParams } from "../core/schemas/pod.js";
import { ExecQuery, LogQuery, NodeEndpointUsage } from "../core/schemas/pod-io.js";
import { parseSince } from "../core/since.js";
import { LABEL_DEPLOYMENT, LABEL_MANAGED, LABEL_NODE, LABEL_POD, LABEL_POD_NAME } from "../runtime/labels.js";
import { derSha256 } from "./endpoint-certificate.js";
import { bridgeExec } from "./exec-bridge.js";
import { headFirst, type NodePods, openPodLogs, podContainers } from "./pod-log-stream.js";
import { UsageSampler } from "./usage-sampler.js";

export interface NodeEndpointLimits {
  /** Log answers open at once (followed or not); more get a 429. Default 64. */
  logStreams: number;
  /** Exec sessions open at once; more get a 429. Default 32. */
  execSessions: number;
  /** Largest WebSocket message (stdin, resize) in bytes. Default 1 MiB. */
  maxMessageBytes: number;
}

export const DEFAULT_NODE_ENDPOINT_LIMITS: NodeEndpointLimits = {
  logStreams: 64,
  execSessions: 32,
  maxMessageBytes: 1024 * 1024,
};

export const DEFAULT_NODE_ENDPOINT_PORT = 10250;

export interface NodeEndpointOptions {
  pods: NodePods;
  /**
   * Resolves for a request that may go on; rejects (UnauthorizedError) otherwise. `clientCertSha256`: the
   * SHA-256 of the certificate the TLS client presented, if any.
   */
  authenticate(authorization: string | undefined, clientCertSha256: string | undefined): Promise<void>;
  /** The endpoint's certificate and key (PEM); it serves nothing without TLS. */
  tls: { cert: string; key: string };
  limits?: Partial<NodeEndpointLimits>;
  clock?: Clock;
}

export function buildNodeEndpoint(options: NodeEndpointOptions) {
  const { pods } = options;
  const limits = { ...DEFAULT_NODE_ENDPOINT_LIMITS, ...options.limits };
  const clock = options.clock ?? systemClock;
  const log = makeLogger("node-endpoint", { node: pods.node });
  const sampler = new UsageSampler(pods.runtime);
  const open = { logs: 0, execs: 0 };

  const app = Fastify({
    // Any client certificate is taken in the handshake and judged by its fingerprint, in authenticate.
    https: {
      cert: options.tls.cert,
      key: options.tls.key,
      minVersion: "TLSv1.2",
      requestCert: true,
      rejectUnauthorized: false,
    },
    loggerInstance: log as FastifyBaseLogger,
    // Followed logs and exec sessions never end by themselves: closing the endpoint ends them.
    forceCloseConnections: true,
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.setValidatorCompiler(schemaValidatorCompiler);
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  app.setErrorHandler((error, request, reply) => sendError(error, request, reply, log));
  app.register(websocket, {
    options: {
      maxPayload: limits.maxMessageBytes,
      handleProtocols: (offered) => (offered.has(EXEC_PROTOCOL) ? EXEC_PROTOCOL : false),
    },
  });
  endHalfClosedUpgrades(app.server);
  // The one check: every route but healthz needs a registered API server's token and client certificate.
  app.addHook("onRequest", async (request) => {
    if (request.routeOptions.config?.public === true) return;
    const peer = (request.raw.socket as TLSSocket).getPeerCertificate();
    await options.authenticate(request.headers.authorization, peer?.raw ? derSha256(peer.raw) : undefined);
  });

  app.get("/healthz", { config: { public: true } }, async () => ({ status: "ok" }));

  app.register(async (scoped) => podRoutes(scoped));
  function podRoutes(scoped: ApiApp): void {
    scoped.get(
      "/pods/:id/log",
      { schema: { params: PodIdParams, querystring: LogQuery } },
      async (request, reply) => {
        const { id } = request.params;
        const query = request.query;
        if (open.logs >= limits.logStreams) {
          throw new TooManyRequestsError(
            `node ${pods.node}: ${limits.logStreams} log streams are open already`,
          );
        }
        const abort = new AbortController();
        const chunks = await openPodLogs(
          pods,
          id,
          {
            follow: query.follow,
            tail: query.tail,
            sinceMs: query.since === undefined ? undefined : parseSince(query.since, clock.now()),
            timestamps: query.timestamps,
            previous: query.previous,
          },
          abort.signal,
        );
        open.logs++;
        reply.raw.on("close", () => {
          open.logs--;
          abort.abort();
        });
        return reply.type("text/plain; charset=utf-8").send(headFirst(chunks));
      },
    );

    scoped.get(
      "/pods/:id/exec",
      {
        websocket: true,
        schema: { params: PodIdParams, querystring: ExecQuery },
        // Before the upgrade, so that a refusal is an HTTP status, not a closed socket.
        preHandler: async (request) => {
          const { id } = request.params;
          if (open.execs >= limits.execSessions) {
            throw new TooManyRequestsError(
              `node ${pods.node}: ${limits.execSessions} exec sessions are open already`,
            );
          }
          const running = pods.hasPod(id)
            ? (await podContainers(pods, id)).find((c) => c.running)
            : undefined;
          if (!running) throw new ConflictError(`pod ${id} has no running container on node ${pods.node}`);
          (request as FastifyRequest & { containerId?: string }).containerId = running.id;
        },
      },
      async (socket, request) => {
        const query = request.query;
        const argv = typeof query.command === "string" ? [query.command] : query.command;
        const containerId = (request as FastifyRequest & { containerId?: string }).containerId as string;
        open.execs++;
        log.info({ pod: request.params.id, argv }, "exec");
        try {
          await bridgeExec(
            socket,
            pods.runtime,
            { containerId, argv, tty: query.tty, stdin: query.stdin },
            log,
          );
        } finally {
          open.execs--;
        }
      },
    );

    scoped.get("/usage", { schema: { response: { 200: NodeEndpointUsage } } }, async () => {
      const labels = { [LABEL_MANAGED]: "true", [LABEL_NODE]: pods.node };
      const containers = (await pods.runtime.list({ labels })).filter(
        (c) => c.running && pods.hasPod(c.labels[LABEL_POD] ?? ""),
      );
      const usage = await sampler.usage(containers);
      return {
        node: pods.node,
        sampledAt: new Date(clock.now()).toISOString(),
        pods: containers.map((c) => ({
          id: c.labels[LABEL_POD] ?? "",
          name: c.labels[LABEL_POD_NAME] ?? "",
          deployment: c.labels[LABEL_DEPLOYMENT] ?? "",
          ...usage.get(c.id),
        })),
      };
    });
  }
  return app;
}

declare module "fastify" {
  interface FastifyContextConfig {
    /** A route anyone may call (no credential). */
    public?: boolean;
  }
}

function sendError(error: unknown, request: FastifyRequest, reply: FastifyReply, log: Logger) {
  const { status, body } = httpErrorOf(error);
  if (status >= 500) log.error({ err: error, url: request.url }, "request failed");
  else if (error instanceof UnauthorizedError) log.warn({ url: request.url, ip: request.ip }, body.message);
  if (status === 401) reply.header("www-authenticate", 'Bearer realm="orchestra-node"');
  return reply.status(status).send(body);
}

export interface RunningNodeEndpoint {
  /** e.g. `https://10.0.0.2:10250`: what the node's registration tells API servers. */
  url: string;
  close(): Promise<void>;
}

/** Listens on `host:port` (0 picks a free port) and returns the URL to register. */
export async function startNodeEndpoint(
  options: NodeEndpointOptions & { host: string; port: number },
): Promise<RunningNodeEndpoint> {
  const app = buildNodeEndpoint(options);
  await app.listen({ host: options.host, port: options.port });
  const address = app.server.address() as AddressInfo;
  const url = `https://${isIPv6(address.address) ? `[${address.address}]` : address.address}:${address.port}`;
  return { url, close: () => app.close() };
}

// Builds the API server (Fastify) on a Store: routes, auth, body parsing and error mapping.
// Any number of them may serve one store: each keeps only a cache of pods for status counts (pod-cache.ts). src/cmd/api.ts binds it to an address.
import swagger from "@fastify/swagger";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import websocket from "@fastify/websocket";
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyReply,
  type FastifyRequest,
} from "fastify";
import { type Clock, systemClock } from "../core/clock.js";
import {
  DEFAULT_BODY_LIMIT,
  DEFAULT_HEADERS_TIMEOUT_MS,
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_DEPLOYMENTS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  MAX_BODY_DEPTH,
} from "../core/limits.js";
import { logger } from "../core/logger.js";
import { checkToken } from "../core/token.js";
import { truncated } from "../core/truncate.js";
import { EventRecorder, type EventSink } from "../events/event-recorder.js";
import { SharedInformers } from "../machinery/shared-informers.js";
import { EndpointClientCredential } from "../node-endpoint/endpoint-credentials.js";
import type { SecretKeyRing } from "../secrets/secret-key-ring.js";
import type { Store } from "../store/store.js";
import type { ApiApp } from "./api-app.js";
import { authenticate } from "./auth.js";
import { nestsDeeperThan } from "./body-depth.js";
import { DEFAULT_STORE_TIMEOUT_MS, withDeadline } from "./deadline-store.js";
import {
  ForbiddenError,
  httpErrorOf,
  MalformedBodyError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
} from "./errors.js";
import { endHalfClosedUpgrades } from "./half-closed-upgrades.js";
import { NodeProxy } from "./node-proxy.js";
import { swaggerOptions } from "./openapi.js";
import { PodCache } from "./pod-cache.js";
import { RefusalAudit } from "./refusal-audit.js";
import { requestGuard } from "./request-guards.js";
import { recordRequestMetrics } from "./request-metrics.js";
import { clusterRoutes } from "./routes/cluster-routes.js";
import { dataRoutes } from "./routes/data-routes.js";
import { deploymentRoutes } from "./routes/deployment-routes.js";
import { eventRoutes } from "./routes/event-routes.js";
import { type JoinInfo, joinRoutes } from "./routes/join-routes.js";
import { metaRoutes } from "./routes/meta-routes.js";
import { metricsRoutes } from "./routes/metrics-routes.js";
import { nodeRoutes } from "./routes/node-routes.js";
import { podIoRoutes } from "./routes/pod-io-routes.js";
import { rolloutRoutes } from "./routes/rollout-routes.js";
import { serviceRoutes } from "./routes/service-routes.js";
import { tokenRoutes } from "./routes/token-routes.js";
import { volumeRoutes } from "./routes/volume-routes.js";
import { schemaValidatorCompiler } from "./validation.js";

export { DEFAULT_BODY_LIMIT } from "../core/limits.js";

export interface ApiServerOptions {
  store: Store;
  /**
   * The operator's bootstrap token, an admin credential. When set, every request but GET /healthz needs
   * `Authorization: Bearer <token>` with it or a role token (POST /tokens); without it, only requests that
   * present a token are checked (loopback only, see cmd/api.ts).
   */
  token?: string;
  /** Largest accepted request body in bytes (default 512 KiB); larger ones get a 413. */
  bodyLimit?: number;
  /** Time to receive a whole request, body included; the socket is closed after it (default 30 s). */
  requestTimeoutMs?: number;
  /** A connection on which nothing moves either way is closed after this (default 60 s). */
  idleTimeoutMs?: number;
  /** Open connections; more are closed as they arrive (default 4096). */
  maxConnections?: number;
  /** Deployments the cluster may hold; creating one more is a 403 (default 10000). */
  maxDeployments?: number;
  /** Without a token: host names served besides loopback ones (DNS rebinding guard, request-guards.ts). */
  allowedHosts?: string[];
  /** Origins whose browser requests are served; a request with any other Origin gets a 403. */
  allowedOrigins?: string[];
  /** A store call that takes longer than this yields a 503 (default 5000 ms). */
  storeTimeoutMs?: number;
  clock?: Clock;
  /** Where the API's events (cordon, eviction) go. Default: recorded in the store, source "api". */
  events?: EventSink;
  /** The process's informers, when it shares them between components. Default: the server's own. */
  informers?: SharedInformers;
  /** Encrypts the secrets written through this server. Without it, writing a secret answers 503. */
  secretsKey?: SecretKeyRing;
  /** What POST /join hands to workers with a node token. Without it, POST /join answers 503. */
  join?: JoinInfo;
  /** Refused credentials recorded as events per minute (default 30); the rest are counted, not recorded. */
  refusalEventsPerMinute?: number;
  /** Serve HTTPS only, with this certificate and key (PEM). Default: plain HTTP. */
  tls?: { cert: string; key: string };
}

/** A ready-to-listen Fastify instance. The caller owns the store: closing the server leaves it open. */
export function buildApiServer(options: ApiServerOptions): ApiApp {
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const clock = options.clock ?? systemClock;
  const store = withDeadline(options.store, options.storeTimeoutMs ?? DEFAULT_STORE_TIMEOUT_MS, clock);
  if (options.token !== undefined) checkToken(options.token, "token");
  const requestTimeout = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;

  const sendError = (error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const { status, body } = httpErrorOf(error, bodyLimit);
    if (status >= 500) request.log.error({ err: error, status }, "request failed");
    else request.log.info({ status, error: body.message }, "request refused");
    if (status === 401) reply.header("www-authenticate", 'Bearer realm="orchestra"');
    // Refused before its body was read: the client may still be sending it, slowly. Closing the socket after
    // the answer keeps a client without a credential from holding connections open.
    if (UNRECOVERABLE.some((kind) => error instanceof kind) || status === 413)
      reply.header("connection", "close");
    return reply.status(status).send(body);
  };

  const httpOptions = {
    headersTimeout: Math.min(DEFAULT_HEADERS_TIMEOUT_MS, requestTimeout),
    // How often Node looks for requests over their time (default 30 s): a tenth of it, at most 1 s.
    connectionsCheckingInterval: Math.min(1000, Math.ceil(requestTimeout / 10)),
  };
  const app = Fastify({
    // Our pino (v10) and Fastify's logger type differ only in generics; at run time it is a pino logger.
    loggerInstance: logger("api") as FastifyBaseLogger,
    bodyLimit,
    // Node's defaults let a slow client hold a socket forever; every bound is in src/core/limits.ts.
    requestTimeout,
    connectionTimeout: options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
    keepAliveTimeout: DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
    http: httpOptions,
    // Fastify hands `https` (not `http`) to https.createServer, so the same bounds go there too.
    ...(options.tls && { https: { ...httpOptions, cert: options.tls.cert, key: options.tls.key } }),
    // Malformed URLs (bad percent-encoding) go through the same error mapping as everything else.
    frameworkErrors: (error: FastifyError, request, reply) => sendError(error, request, reply),
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.server.maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;

  // Every route's schemas (src/core/schemas/) validate its requests, with our field-naming messages...
  app.setValidatorCompiler(schemaValidatorCompiler);
  // ...and document its responses: answers are serialized as they are, so no field is ever dropped.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  // Builds /openapi.json from the routes registered after it.
  app.register(swagger, swaggerOptions);

  // Our own JSON parser: the default one says only "not valid JSON"; this one says where.
  // JSON only (Fastify would read text/plain too): any other body is a 415.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) => {
    // The body is read as UTF-8 (JSON's only encoding, RFC 8259): another charset would be misread.
    const charset = /;\s*charset\s*=\s*"?([^";\s]*)/i.exec(request.headers["content-type"] ?? "")?.[1];
    if (charset !== undefined && !/^utf-?8$/i.test(charset)) {
      done(
        new UnsupportedMediaTypeError(
          `content-type: charset ${JSON.stringify(truncated(charset))} is not served; send UTF-8`,
        ),
        undefined,
      );
      return;
    }
    const text = body as string;
    if (text.trim() === "") {
      // Routes without a body (eviction, cordon, delete) or with an optional one (rollback) take
      // `Content-Type: application/json` with no body: a POST must say it (see request-guards.ts).
      const schema = request.routeOptions.schema?.body as { anyOf?: { type?: unknown }[] } | undefined;
      if (schema === undefined) done(null, undefined);
      else if (schema.anyOf?.some((branch) => branch.type === "null")) done(null, null);
      else done(new MalformedBodyError("body: is empty; send a JSON object"), undefined);
      return;
    }
    if (nestsDeeperThan(text, MAX_BODY_DEPTH)) {
      done(
        new MalformedBodyError(`body: nests objects and arrays deeper than the limit of ${MAX_BODY_DEPTH}`),
        undefined,
      );
      return;
    }
    try {
      done(null, JSON.parse(text));
    } catch (error) {
      done(
        new MalformedBodyError(`body: is not valid JSON (${truncated((error as Error).message)})`),
        undefined,
      );
    }
  });

  app.addHook(
    "onRequest",
    requestGuard({
      token: options.token !== undefined,
      allowedHosts: options.allowedHosts,
      allowedOrigins: options.allowedOrigins,
    }),
  );
  const events = options.events ?? new EventRecorder(options.store, "api");
  // After the request guards: a cross-site request is refused before any token is looked up.
  app.addHook(
    "onRequest",
    authenticate({
      bootstrapToken: options.token,
      store,
      clock,
      audit: new RefusalAudit(events, { clock, perMinute: options.refusalEventsPerMinute }),
    }),
  );
  app.addHook("onResponse", recordRequestMetrics);
  app.setErrorHandler((error, request, reply) => sendError(error, request, reply));
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({
      error: "NotFound",
      message: `no route ${request.method} ${truncated(request.url.split("?")[0] ?? "")}; see /openapi.json`,
    }),
  );

  const { informers, lifecycle } = SharedInformers.forComponent(options.store, options.informers, {
    logger: logger("api"),
  });
  const pods = new PodCache(informers.pods());
  // Not awaited: until the first listing is in, status counts are read from the store.
  app.addHook("onReady", async () => void lifecycle.start());
  app.addHook("onClose", async () => lifecycle.stop());

  // The server's credential towards node endpoints (logs, exec, usage): registered while it runs.
  const credential = new EndpointClientCredential(options.store, "api server");
  // Neither awaited: a slow store must not hold up serving or closing; a node endpoint looks again for a token
  // it does not know yet, and the registration is ephemeral (it also goes with the store session).
  app.addHook("onReady", async () => {
    void credential
      .register()
      .catch((err) => app.log.error({ err }, "registering the node endpoint credential failed"));
  });
  app.addHook("onClose", async () => void credential.unregister());
  app.register(websocket, { options: { maxPayload: 1024 * 1024 } });
  endHalfClosedUpgrades(app.server);
  app.register(async (api) => {
    deploymentRoutes(api, store, pods, clock, {
      maxDeployments: options.maxDeployments ?? DEFAULT_MAX_DEPLOYMENTS,
    });
    rolloutRoutes(api, store, clock);
    clusterRoutes(api, store);
    nodeRoutes(api, store, events);
    eventRoutes(api, store);
    metaRoutes(api, store);
    metricsRoutes(api);
    const proxy = new NodeProxy(store, credential);
    api.addHook("onClose", async () => proxy.close());
    podIoRoutes(api, store, proxy);
    dataRoutes(api, store, options.secretsKey, clock);
    volumeRoutes(api, store);
    tokenRoutes(api, store, clock);
    joinRoutes(api, options.join, events);
    serviceRoutes(api, store);
  });
  return app;
}

/** Errors answered before the body was read (a body may still be on its way): the socket is closed after. */
const UNRECOVERABLE = [UnauthorizedError, ForbiddenError, UnsupportedMediaTypeError];

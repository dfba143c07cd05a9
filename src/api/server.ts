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
import { logger } from "../core/logger.js";
import { EventRecorder, type EventSink } from "../events/event-recorder.js";
import { SharedInformers } from "../machinery/shared-informers.js";
import { EndpointClientCredential } from "../node-endpoint/endpoint-credentials.js";
import type { Store } from "../store/store.js";
import type { ApiApp } from "./api-app.js";
import { bearerAuth } from "./auth.js";
import { DEFAULT_STORE_TIMEOUT_MS, withDeadline } from "./deadline-store.js";
import { httpErrorOf, MalformedBodyError } from "./errors.js";
import { endHalfClosedUpgrades } from "./half-closed-upgrades.js";
import { NodeProxy } from "./node-proxy.js";
import { swaggerOptions } from "./openapi.js";
import { PodCache } from "./pod-cache.js";
import { clusterRoutes } from "./routes/cluster-routes.js";
import { deploymentRoutes } from "./routes/deployment-routes.js";
import { eventRoutes } from "./routes/event-routes.js";
import { metaRoutes } from "./routes/meta-routes.js";
import { nodeRoutes } from "./routes/node-routes.js";
import { podIoRoutes } from "./routes/pod-io-routes.js";
import { rolloutRoutes } from "./routes/rollout-routes.js";
import { schemaValidatorCompiler } from "./validation.js";

export const DEFAULT_BODY_LIMIT = 1024 * 1024;

export interface ApiServerOptions {
  store: Store;
  /** When set, every request but GET /healthz needs `Authorization: Bearer <token>`. */
  token?: string;
  /** Largest accepted request body in bytes (default 1 MiB); larger ones get a 413. */
  bodyLimit?: number;
  /** A store call that takes longer than this yields a 503 (default 5000 ms). */
  storeTimeoutMs?: number;
  clock?: Clock;
  /** Where the API's events (cordon, eviction) go. Default: recorded in the store, source "api". */
  events?: EventSink;
  /** The process's informers, when it shares them between components. Default: the server's own. */
  informers?: SharedInformers;
}

/** A ready-to-listen Fastify instance. The caller owns the store: closing the server leaves it open. */
export function buildApiServer(options: ApiServerOptions): ApiApp {
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const clock = options.clock ?? systemClock;
  const store = withDeadline(options.store, options.storeTimeoutMs ?? DEFAULT_STORE_TIMEOUT_MS, clock);
  if (options.token !== undefined && options.token.trim() === "")
    throw new Error("the API token must not be empty");

  const sendError = (error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const { status, body } = httpErrorOf(error, bodyLimit);
    if (status >= 500) request.log.error({ err: error, status }, "request failed");
    else request.log.info({ status, error: body.message }, "request refused");
    if (status === 401) reply.header("www-authenticate", 'Bearer realm="orchestra"');
    return reply.status(status).send(body);
  };

  const app = Fastify({
    // Our pino (v10) and Fastify's logger type differ only in generics; at run time it is a pino logger.
    loggerInstance: logger("api") as FastifyBaseLogger,
    bodyLimit,
    // Malformed URLs (bad percent-encoding) go through the same error mapping as everything else.
    frameworkErrors: (error: FastifyError, request, reply) => sendError(error, request, reply),
  }).withTypeProvider<TypeBoxTypeProvider>();

  // Every route's schemas (src/core/schemas/) validate its requests, with our field-naming messages...
  app.setValidatorCompiler(schemaValidatorCompiler);
  // ...and document its responses: answers are serialized as they are, so no field is ever dropped.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  // Builds /openapi.json from the routes registered after it.
  app.register(swagger, swaggerOptions);

  // Our own JSON parser: the default one says only "not valid JSON"; this one says where.
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (_request, body, done) => {
    const text = body as string;
    if (text.trim() === "") {
      done(new MalformedBodyError("body: is empty; send a JSON object"), undefined);
      return;
    }
    try {
      done(null, JSON.parse(text));
    } catch (error) {
      done(new MalformedBodyError(`body: is not valid JSON (${(error as Error).message})`), undefined);
    }
  });

  if (options.token !== undefined) app.addHook("onRequest", bearerAuth(options.token));
  app.setErrorHandler((error, request, reply) => sendError(error, request, reply));
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({
      error: "NotFound",
      message: `no route ${request.method} ${request.url.split("?")[0]}; see /openapi.json`,
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

  const events = options.events ?? new EventRecorder(options.store, "api");
  app.register(async (api) => {
    deploymentRoutes(api, store, pods, clock);
    rolloutRoutes(api, store, clock);
    clusterRoutes(api, store);
    nodeRoutes(api, store, events);
    eventRoutes(api, store);
    metaRoutes(api, store);
    podIoRoutes(api, store, new NodeProxy(store, credential));
  });
  return app;
}

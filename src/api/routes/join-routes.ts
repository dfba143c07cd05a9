// POST /join: a worker with a join token (role node) learns how to reach the store, with the store's
// credential when it is locked (--zk-auth-file) and its CA when it is on TLS (--zk-tls-ca). Workers talk to the
// store directly; this is how they get to.
import { UnavailableError } from "../../core/errors.js";
import { JoinAnswer, JoinRequest } from "../../core/schemas/token.js";
import type { EventSink } from "../../events/event-recorder.js";
import type { ZooKeeperAuth } from "../../store/zookeeper/zookeeper-auth.js";
import type { ZooKeeperPemTls } from "../../store/zookeeper/zookeeper-tls-files.js";
import type { ApiApp } from "../api-app.js";
import { callerOf } from "../auth.js";
import { BODY_ERRORS, STORE_ERRORS, withErrors } from "../responses.js";

/** What an API server hands to joining workers. */
export interface JoinInfo {
  /** The store URL as workers reach it (`run api --join-store`, default its own `--store`). */
  store: string;
  /** The store's digest identity, when it is locked. */
  zkAuth?: ZooKeeperAuth;
  /** The store's CA when it is on TLS, and a client certificate and key only when some were given for workers. */
  zkTls?: ZooKeeperPemTls;
}

/** Why `orchestra up` answers POST /join with 503, and what to do instead. */
export const NO_JOIN_MESSAGE =
  'this API server hands out no store address: it runs on an embedded store, which lives inside `orchestra up` on this one machine, so workers on other machines cannot reach it; to add machines, move the cluster onto ZooKeeper (docs/OPERATIONS.md, "Moving from orchestra up to ZooKeeper") and join workers through `orchestra run api --store zk://...`';

export function joinRoutes(app: ApiApp, join: JoinInfo | undefined, events: EventSink): void {
  app.post(
    "/join",
    {
      config: { role: "node" },
      schema: {
        summary: "Join a worker: where the store is, and its credential (needs a node token)",
        description:
          "The answer holds the store's credential: ask over TLS or a trusted network only. Each join is an event.",
        body: JoinRequest,
        response: withErrors(
          { 200: JoinAnswer },
          {
            ...STORE_ERRORS,
            ...BODY_ERRORS,
            503: "This API server was started without what workers need to join.",
          },
        ),
      },
    },
    async (request) => {
      if (join === undefined) {
        throw new UnavailableError(NO_JOIN_MESSAGE);
      }
      const { node } = request.body;
      const tokenId = callerOf(request)?.tokenId ?? "none";
      const handed = [
        "store address",
        ...(join.zkAuth ? ["credential"] : []),
        ...(join.zkTls ? ["CA"] : []),
        ...(join.zkTls?.cert ? ["client certificate"] : []),
      ];
      events.record({
        type: "Normal",
        reason: "Joined",
        object: `node/${node}`,
        message: `${handed.join(", ").replace(/, ([^,]*)$/, " and $1")} handed out to token ${tokenId}`,
      });
      request.log.info({ node, token: tokenId }, "worker joined");
      return {
        store: join.store,
        ...(join.zkAuth ? { zkAuth: `${join.zkAuth.user}:${join.zkAuth.password}` } : {}),
        ...(join.zkTls ? { zkTlsCa: join.zkTls.ca } : {}),
        ...(join.zkTls?.cert && join.zkTls.key
          ? { zkTlsCert: join.zkTls.cert, zkTlsKey: join.zkTls.key }
          : {}),
      };
    },
  );
}

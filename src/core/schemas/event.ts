// Schemas of cluster events (`/events`, GET /events, `orchestra events`).
import Type from "typebox";
import { closed, timestamp } from "./common.js";

export const DEFAULT_EVENTS_LIMIT = 500;
export const MAX_EVENTS_LIMIT = 1000;

/** Something that happened to an object, as `kubectl get events` shows. */
export const ClusterEvent = closed(
  {
    id: Type.String({ description: "Also the store key: time-ordered; pass the last one seen as `since`." }),
    time: timestamp(),
    type: Type.Enum(["Normal", "Warning"]),
    reason: Type.String({
      description:
        "One CamelCase word: Scheduled, Started, Unhealthy, Restarted, BackOff, RolledBack, Drained, ...",
    }),
    object: Type.String({ description: "`deployment/web`, `pod/web-x5w4w`, `node/n1`." }),
    deployment: Type.Optional(
      Type.String({ description: "The deployment the object belongs to, so its pods' events show with it." }),
    ),
    message: Type.String({ description: "What happened, the latest time it happened." }),
    count: Type.Optional(
      Type.Integer({
        minimum: 1,
        description:
          "How many times it happened (absent: once). The same object, type and reason again within 10 minutes " +
          "of its last time is counted on one event, which takes the new time, id and message.",
      }),
    ),
    firstTime: Type.Optional(timestamp("When a counted event first happened; absent when it happened once.")),
    source: Type.String({
      description: "The component that recorded it: controller, scheduler, worker/<node>, api.",
    }),
  },
  { title: "ClusterEvent", description: "Something that happened to an object." },
);

export const EventQuery = closed({
  name: Type.Optional(
    Type.String({
      description: "Only events about this object (`web-x5w4w`, `node/n1`) or any object of this deployment.",
    }),
  ),
  since: Type.Optional(Type.String({ description: "Only events after the one with this id (for polling)." })),
  limit: Type.Integer({
    minimum: 1,
    maximum: MAX_EVENTS_LIMIT,
    default: DEFAULT_EVENTS_LIMIT,
    description: "At most this many, the newest.",
  }),
});

// GET /events[?name=NAME&since=ID&limit=N]: cluster events, oldest first; `since` (an event id) returns
// only later ones, for `orchestra events --watch`.
import Type from "typebox";
import { ClusterEvent as ClusterEventSchema, EventQuery } from "../../core/schemas/event.js";
import type { ClusterEvent } from "../../core/types.js";
import { eventsFor } from "../../events/event-recorder.js";
import { keys } from "../../store/keys.js";
import type { ApiApp } from "../api-app.js";
import type { ApiStore } from "../deadline-store.js";
import { STORE_ERRORS, withErrors } from "../responses.js";

export { DEFAULT_EVENTS_LIMIT, MAX_EVENTS_LIMIT } from "../../core/schemas/event.js";

export function eventRoutes(app: ApiApp, store: ApiStore): void {
  app.get(
    "/events",
    {
      config: { role: "viewer" },
      schema: {
        summary: "Cluster events, oldest first (the newest 1000 are kept)",
        querystring: EventQuery,
        response: withErrors(
          { 200: Type.Array(ClusterEventSchema, { description: "Events, oldest first." }) },
          { ...STORE_ERRORS, 400: "An unknown or repeated query parameter, or a bad limit." },
        ),
      },
    },
    async (request) => {
      const { name, since, limit } = request.query;
      // Keys are time-ordered, so the listing is oldest first; the newest `limit` are kept.
      const all = (await store.list<ClusterEvent>(keys.events)).map((entry) => entry.value);
      const later = since === undefined ? all : all.filter((event) => event.id > since);
      return eventsFor(later, name).slice(-limit);
    },
  );
}

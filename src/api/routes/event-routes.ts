// GET /events[?name=NAME&since=ID&limit=N]: cluster events, oldest first; `since` (an event id) returns
// only later ones, for `orchestra events --watch`.
import type { FastifyInstance } from "fastify";
import { ValidationError } from "../../core/errors.js";
import type { ClusterEvent } from "../../core/types.js";
import { eventsFor } from "../../events/event-recorder.js";
import { keys } from "../../store/keys.js";
import type { ApiStore } from "../deadline-store.js";
import { queryOf, validatorsFor } from "../validators.js";

export const DEFAULT_EVENTS_LIMIT = 500;
export const MAX_EVENTS_LIMIT = 1000;

interface EventQuery {
  name?: string;
  since?: string;
  limit: number;
}

const eventQuery = {
  type: "object",
  properties: { name: { type: "string" }, since: { type: "string" }, limit: { type: "string" } },
} as const;

function parseEventQuery(data: unknown): EventQuery {
  const query = queryOf(data, ["name", "since", "limit"]);
  let limit = DEFAULT_EVENTS_LIMIT;
  if (query.limit !== undefined) {
    limit = Number(query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_EVENTS_LIMIT) {
      throw new ValidationError("limit", `must be an integer from 1 to ${MAX_EVENTS_LIMIT}`);
    }
  }
  return { name: query.name, since: query.since, limit };
}

export function eventRoutes(app: FastifyInstance, store: ApiStore): void {
  app.get<{ Querystring: EventQuery }>(
    "/events",
    {
      schema: { querystring: eventQuery },
      validatorCompiler: validatorsFor({ querystring: parseEventQuery }),
    },
    async (request): Promise<ClusterEvent[]> => {
      const { name, since, limit } = request.query;
      // Keys are time-ordered, so the listing is oldest first; the newest `limit` are kept.
      const all = (await store.list<ClusterEvent>(keys.events)).map((entry) => entry.value);
      const later = since === undefined ? all : all.filter((event) => event.id > since);
      return eventsFor(later, name).slice(-limit);
    },
  );
}

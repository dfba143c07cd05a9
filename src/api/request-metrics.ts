// Counts and times every API request (orchestra_api_requests_total, orchestra_api_request_duration_seconds) by
// the route's pattern (`/deployments/:name`), never the raw URL: names and queries would make series without end.
import type { FastifyReply, FastifyRequest } from "fastify";
import { apiRequestDuration, apiRequests } from "../metrics/metrics.js";

/** The label of a request that matched no route (a 404 of the router, a malformed URL). */
export const UNMATCHED_ROUTE = "unmatched";

/** A Fastify onResponse hook. */
export async function recordRequestMetrics(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const route = request.routeOptions.url ?? UNMATCHED_ROUTE;
  const labels = {
    method: KNOWN_METHODS.has(request.method) ? request.method : "other",
    route,
    status: String(reply.statusCode),
  };
  apiRequests.inc(labels);
  apiRequestDuration.observe(labels, reply.elapsedTime / 1000);
}

const KNOWN_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

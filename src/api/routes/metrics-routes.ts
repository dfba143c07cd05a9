// GET /metrics: the API server's process in the Prometheus text format (docs/METRICS.md lists every metric).
// A read like any other: the viewer role.

import { Type } from "typebox";
import { METRICS_CONTENT_TYPE, metricsText } from "../../metrics/metrics-registry.js";
import type { ApiApp } from "../api-app.js";
import { STORE_ERRORS, withErrors } from "../responses.js";

export function metricsRoutes(app: ApiApp): void {
  app.get(
    "/metrics",
    {
      config: { role: "viewer" },
      schema: {
        summary: "Metrics of this API server's process, in the Prometheus text format (see docs/METRICS.md)",
        response: withErrors(
          {
            200: {
              "x-response-description": "The Prometheus text exposition format, version 0.0.4.",
              content: { "text/plain": { schema: Type.String() } },
            },
          },
          {
            401: STORE_ERRORS[401],
            403: STORE_ERRORS[403],
            500: STORE_ERRORS[500],
          },
        ),
      },
    },
    async (_request, reply) => reply.type(METRICS_CONTENT_TYPE).send(await metricsText()),
  );
}

// Read-only views of what the other components write: GET /pods (GET /nodes is in node-routes.ts).
import { pagedList } from "../../core/schemas/list-page.js";
import { PodQuery, Pod as PodSchema } from "../../core/schemas/pod.js";
import type { Pod } from "../../core/types.js";
import { keys } from "../../store/keys.js";
import type { ApiApp } from "../api-app.js";
import type { ApiStore } from "../deadline-store.js";
import { storePage, withContinue } from "../list-pages.js";
import { PAGE_ERRORS, STORE_ERRORS, withErrors } from "../responses.js";

export function clusterRoutes(app: ApiApp, store: ApiStore): void {
  app.get(
    "/pods",
    {
      config: { role: "viewer" },
      schema: {
        summary: "List pods",
        querystring: PodQuery,
        response: withErrors(
          {
            200: pagedList(PodSchema, "Pods by id, filtered by deployment and/or node when asked."),
          },
          { ...STORE_ERRORS, 400: PAGE_ERRORS },
        ),
      },
    },
    async (request, reply) => {
      const { deployment, node } = request.query;
      const page = await storePage<Pod>(
        store,
        keys.pods,
        "pods",
        request.query,
        (pod) =>
          (deployment === undefined || pod?.deployment === deployment) &&
          (node === undefined || pod?.node === node),
      );
      return withContinue(reply, { ...page, items: page.items.map((e) => e.value) });
    },
  );
}

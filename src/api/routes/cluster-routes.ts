// Read-only views of what the other components write: GET /pods (GET /nodes is in node-routes.ts).
import Type from "typebox";
import { PodQuery, Pod as PodSchema } from "../../core/schemas/pod.js";
import type { Pod } from "../../core/types.js";
import { keys } from "../../store/keys.js";
import type { ApiApp } from "../api-app.js";
import type { ApiStore } from "../deadline-store.js";
import { STORE_ERRORS, withErrors } from "../responses.js";

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
            200: Type.Array(PodSchema, {
              description: "Pods, filtered by deployment and/or node when asked.",
            }),
          },
          { ...STORE_ERRORS, 400: "An unknown or repeated query parameter." },
        ),
      },
    },
    async (request) => {
      const { deployment, node } = request.query;
      const pods = (await store.list<Pod>(keys.pods)).map((e) => e.value);
      return pods.filter(
        (pod) =>
          (deployment === undefined || pod?.deployment === deployment) &&
          (node === undefined || pod?.node === node),
      );
    },
  );
}

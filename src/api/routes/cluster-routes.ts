// Read-only views of what the other components write: GET /pods (GET /nodes is in node-routes.ts).
import type { FastifyInstance } from "fastify";
import type { Pod } from "../../core/types.js";
import { keys } from "../../store/keys.js";
import type { ApiStore } from "../deadline-store.js";
import { queryOf, validatorsFor } from "../validators.js";

const podQuery = {
  type: "object",
  additionalProperties: false,
  properties: { deployment: { type: "string" }, node: { type: "string" } },
} as const;

export function clusterRoutes(app: FastifyInstance, store: ApiStore): void {
  app.get<{ Querystring: { deployment?: string; node?: string } }>(
    "/pods",
    {
      schema: { querystring: podQuery },
      validatorCompiler: validatorsFor({ querystring: (data) => queryOf(data, ["deployment", "node"]) }),
    },
    async (request): Promise<Pod[]> => {
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

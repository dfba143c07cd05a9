// GET /services[?deployment=D]: every published port of the cluster, its deployment and the ready pods that
// take its new connections (where they run), as the nodes' published-port rules see them.
import Type from "typebox";
import {
  PublishedServiceView as PublishedServiceViewSchema,
  ServiceQuery,
} from "../../core/schemas/service.js";
import type { Deployment, Pod, PublishedServiceView } from "../../core/types.js";
import { servingPods } from "../../network/published-port-plan.js";
import { keys } from "../../store/keys.js";
import type { ApiApp } from "../api-app.js";
import type { ApiStore } from "../deadline-store.js";
import { STORE_ERRORS, withErrors } from "../responses.js";

/** The published ports of `deployments` with their endpoints. Pure. */
export function publishedServices(
  deployments: readonly Deployment[],
  pods: readonly Pod[],
): PublishedServiceView[] {
  return servingPods(deployments, pods).map(({ deployment, port, pods: serving }) => ({
    publishedPort: port.publishedPort,
    protocol: port.protocol,
    containerPort: port.containerPort,
    deployment,
    endpoints: serving.map((pod) => ({
      pod: pod.name,
      ...(pod.node === undefined ? {} : { node: pod.node }),
      ip: pod.status.ip as string,
      port: port.containerPort,
    })),
  }));
}

export function serviceRoutes(app: ApiApp, store: ApiStore): void {
  app.get(
    "/services",
    {
      config: { role: "viewer" },
      schema: {
        summary: "List published ports with their deployments and ready endpoints",
        querystring: ServiceQuery,
        response: withErrors(
          {
            200: Type.Array(PublishedServiceViewSchema, {
              description: "Sorted by published port, then protocol.",
            }),
          },
          { ...STORE_ERRORS, 400: "An unknown or repeated query parameter." },
        ),
      },
    },
    async (request) => {
      const { deployment } = request.query;
      const deployments = (await store.list<Deployment>(keys.deployments))
        .map((entry) => entry.value)
        .filter((d) => deployment === undefined || d.name === deployment);
      if (deployments.length === 0) return [];
      const pods = (await store.list<Pod>(keys.pods)).map((entry) => entry.value);
      return publishedServices(deployments, pods);
    },
  );
}

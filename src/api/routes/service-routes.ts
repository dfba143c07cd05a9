// GET /services[?deployment=D]: every published port of the cluster, its deployment and the ready pods that
// take its new connections (where they run), as the nodes' published-port rules see them.
import { pagedList } from "../../core/schemas/list-page.js";
import {
  PublishedServiceView as PublishedServiceViewSchema,
  ServiceQuery,
} from "../../core/schemas/service.js";
import type { Deployment, Pod, PublishedServiceView } from "../../core/types.js";
import { servingPods } from "../../network/published-port-plan.js";
import { keys } from "../../store/keys.js";
import type { ApiApp } from "../api-app.js";
import type { ApiStore } from "../deadline-store.js";
import { memoryPage, withContinue } from "../list-pages.js";
import { PAGE_ERRORS, STORE_ERRORS, withErrors } from "../responses.js";

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

/** A service's place in the list's order, as a continue token names it: the port (5 digits), then protocol. */
function serviceKey(service: PublishedServiceView): string {
  return `${String(service.publishedPort).padStart(5, "0")}-${service.protocol}`;
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
            200: pagedList(PublishedServiceViewSchema, "Sorted by published port, then protocol."),
          },
          { ...STORE_ERRORS, 400: PAGE_ERRORS },
        ),
      },
    },
    // Computed from every deployment and pod: the page is cut from the whole, sorted list.
    async (request, reply) => {
      const { deployment } = request.query;
      const deployments = (await store.list<Deployment>(keys.deployments))
        .map((entry) => entry.value)
        .filter((d) => deployment === undefined || d.name === deployment);
      const pods =
        deployments.length === 0 ? [] : (await store.list<Pod>(keys.pods)).map((entry) => entry.value);
      return withContinue(
        reply,
        memoryPage(publishedServices(deployments, pods), serviceKey, "services", request.query),
      );
    },
  );
}

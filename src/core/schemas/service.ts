// Schemas of GET /services: every published port of the cluster, the deployment it leads to and the pods that
// take its new connections now (the same choice every node's published-port rules make).
import Type from "typebox";
import { closed } from "./common.js";
import { PageFields } from "./list-page.js";
import { PortNumber } from "./workload.js";

export const ServiceEndpoint = closed(
  {
    pod: Type.String({ description: "The pod's name." }),
    node: Type.Optional(Type.String({ description: "The node it runs on." })),
    ip: Type.String({ description: "The pod's address on the pod network." }),
    port: PortNumber,
  },
  { description: "A ready pod that takes new connections to the published port." },
);

export const PublishedServiceView = closed(
  {
    publishedPort: PortNumber,
    protocol: Type.Union([Type.Literal("tcp"), Type.Literal("udp")]),
    containerPort: PortNumber,
    deployment: Type.String(),
    endpoints: Type.Array(ServiceEndpoint, {
      description:
        "Running, ready, not draining and declaring the container port; sorted by pod name. Empty: every node answers the port with nothing behind it (connections are refused or time out).",
    }),
  },
  {
    title: "PublishedService",
    description:
      "A published port: every node's addresses answer it, sending each new connection to one endpoint (its own pods first).",
  },
);

export const ServiceQuery = closed({
  ...PageFields,
  deployment: Type.Optional(Type.String({ description: "Only the published ports of this deployment." })),
});

// The columns `orchestra get services` shows: one row per published port, with the pods behind it.
import type { PublishedServiceView } from "../../core/types.js";
import type { Table } from "./table.js";

/** PUBLISHED DEPLOYMENT TARGET READY ENDPOINTS (`-o wide` adds each endpoint's pod). */
export function serviceTable(services: PublishedServiceView[], options: { wide: boolean }): Table {
  const headers = ["PUBLISHED", "DEPLOYMENT", "TARGET", "READY", "ENDPOINTS"];
  const rows = services.map((service) => [
    `${service.publishedPort}/${service.protocol}`,
    service.deployment,
    String(service.containerPort),
    String(service.endpoints.length),
    service.endpoints.length === 0
      ? "<none>"
      : service.endpoints
          .map((e) => `${e.ip}:${e.port}${e.node ? ` on ${e.node}` : ""}${options.wide ? ` (${e.pod})` : ""}`)
          .join(", "),
  ]);
  return { headers, rows };
}

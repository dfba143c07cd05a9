// GET /volumes[?node=N&deployment=D]: the named volumes workers report, with the node that holds each (volumes
// are local to their node), its size and whether a container uses it.
import Type from "typebox";
import { VolumeQuery, VolumeReport as VolumeReportSchema } from "../../core/schemas/volume.js";
import type { VolumeReport } from "../../core/types.js";
import { keys } from "../../store/keys.js";
import type { ApiApp } from "../api-app.js";
import type { ApiStore } from "../deadline-store.js";
import { STORE_ERRORS, withErrors } from "../responses.js";

export function volumeRoutes(app: ApiApp, store: ApiStore): void {
  app.get(
    "/volumes",
    {
      schema: {
        summary: "List named volumes and the nodes that hold them",
        querystring: VolumeQuery,
        response: withErrors(
          { 200: Type.Array(VolumeReportSchema, { description: "Sorted by volume, then node." }) },
          { ...STORE_ERRORS, 400: "An unknown or repeated query parameter." },
        ),
      },
    },
    async (request) => {
      const { node, deployment } = request.query;
      return (await store.list<VolumeReport>(keys.volumes))
        .map((entry) => entry.value)
        .filter((report) => node === undefined || report.node === node)
        .filter((report) => deployment === undefined || report.deployment === deployment)
        .sort((a, b) => compare(a.name, b.name) || compare(a.node, b.node));
    },
  );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

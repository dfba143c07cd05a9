// GET /healthz (does the store answer?) and GET /openapi.json.
import type { FastifyInstance } from "fastify";
import { UnavailableError } from "../../core/errors.js";
import { keys } from "../../store/keys.js";
import type { ApiStore } from "../deadline-store.js";
import { openApiDocument } from "../openapi.js";

export function metaRoutes(app: FastifyInstance, store: ApiStore): void {
  app.get("/healthz", async () => {
    if (store.sessionState === "closed") throw new UnavailableError("the store client is closed");
    // Any answer, even "no such key", proves the store is reachable.
    await store.get(keys.deployments);
    return { status: "ok" };
  });

  app.get("/openapi.json", async () => openApiDocument);
}

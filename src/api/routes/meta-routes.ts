// GET /healthz (does the store answer?) and GET /openapi.json.
import { UnavailableError } from "../../core/errors.js";
import { Health, OpenApiDocument } from "../../core/schemas/common.js";
import { keys } from "../../store/keys.js";
import type { ApiApp } from "../api-app.js";
import type { ApiStore } from "../deadline-store.js";
import { STORE_ERRORS, withErrors } from "../responses.js";

export function metaRoutes(app: ApiApp, store: ApiStore): void {
  app.get(
    "/healthz",
    {
      schema: {
        summary: "Health: whether the store answers (no token needed)",
        security: [],
        response: withErrors(
          { 200: Health },
          { 500: "A bug; the API server's log says more.", 503: "The store does not answer." },
        ),
      },
    },
    async () => {
      if (store.sessionState === "closed") throw new UnavailableError("the store client is closed");
      // Any answer, even "no such key", proves the store is reachable.
      await store.get(keys.deployments);
      return { status: "ok" as const };
    },
  );

  app.get(
    "/openapi.json",
    {
      schema: {
        summary: "This document",
        response: withErrors(
          { 200: OpenApiDocument },
          {
            401: "Missing or wrong bearer token (only when the server has a token).",
            403: STORE_ERRORS[403],
            500: "A bug; the API server's log says more.",
          },
        ),
      },
    },
    // The document is generated from the routes' schemas by @fastify/swagger (see openapi.ts).
    async () => app.swagger() as unknown as { openapi: string; info: object; paths: object },
  );
}

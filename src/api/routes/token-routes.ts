// POST /tokens (a new token, its secret in this answer only), GET /tokens, DELETE /tokens/:id (revoke). Admin.
import Type from "typebox";
import type { Clock } from "../../core/clock.js";
import { TokenCreate, TokenCreated, TokenIdParams, TokenInfo } from "../../core/schemas/token.js";
import type { ApiApp } from "../api-app.js";
import { callerOf } from "../auth.js";
import type { ApiStore } from "../deadline-store.js";
import { BODY_ERRORS, described, STORE_ERRORS, withErrors } from "../responses.js";
import { createToken, listTokens, revokeToken } from "../token-records.js";

export function tokenRoutes(app: ApiApp, store: ApiStore, clock: Clock): void {
  app.post(
    "/tokens",
    {
      config: { role: "admin" },
      schema: {
        summary: "Make a token with a role; its secret is in this answer only",
        body: TokenCreate,
        response: withErrors(
          { 201: TokenCreated },
          { ...STORE_ERRORS, ...BODY_ERRORS, 409: "There are as many tokens as allowed (1000)." },
        ),
      },
    },
    async (request, reply) => {
      const created = await createToken(store, request.body, clock);
      // The id only: the secret goes to the client and nowhere else.
      request.log.info(
        { token: created.id, role: created.role, by: callerOf(request)?.tokenId },
        "token created",
      );
      reply.status(201).header("location", `/tokens/${created.id}`);
      return created;
    },
  );

  app.get(
    "/tokens",
    {
      config: { role: "admin" },
      schema: {
        summary: "List tokens (never their secrets)",
        response: withErrors(
          { 200: Type.Array(TokenInfo, { description: "Sorted by id; revoked tokens are gone." }) },
          STORE_ERRORS,
        ),
      },
    },
    async () => listTokens(store, clock),
  );

  app.delete(
    "/tokens/:id",
    {
      config: { role: "admin" },
      schema: {
        summary: "Revoke a token: it answers 401 from now on",
        params: TokenIdParams,
        response: withErrors(
          { 200: described(TokenInfo, "The revoked token.") },
          { ...STORE_ERRORS, ...BODY_ERRORS, 400: "The id is not a token id.", 404: "No such token." },
        ),
      },
    },
    async (request) => {
      const revoked = await revokeToken(store, request.params.id, clock);
      request.log.info({ token: revoked.id, by: callerOf(request)?.tokenId }, "token revoked");
      return revoked;
    },
  );
}

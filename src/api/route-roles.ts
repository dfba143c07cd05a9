// Which role each route needs. A route declares it in its own options, `config: { role: "viewer" }`, next to its
// schema; a route that declares none is admin-only, so a route added without thought is closed, not open.
// Roles nest: viewer < deployer < admin. `node` stands apart: a join token may only join (POST /join).
import type { FastifyRequest } from "fastify";
import type { TokenRole } from "../core/api-token.js";

/** What a route may declare: a role, or `public` for the few routes that need no token (GET /healthz). */
export type RouteRole = TokenRole | "public";

declare module "fastify" {
  interface FastifyContextConfig {
    /** The least role that may call this route; default admin. */
    role?: RouteRole;
  }
}

/** Routes that declare no role need this one. */
export const DEFAULT_ROUTE_ROLE: TokenRole = "admin";

const RANK: Record<TokenRole, number> = { viewer: 1, deployer: 2, admin: 3, node: 0 };

/** The role a route's options declare, or the fail-closed default. */
export function routeRoleOf(config: { role?: RouteRole } | undefined): RouteRole {
  return config?.role ?? DEFAULT_ROUTE_ROLE;
}

/** The role the matched route of `request` needs. */
export function requiredRole(request: FastifyRequest): RouteRole {
  return routeRoleOf(request.routeOptions.config);
}

/** Whether a token of role `held` may call a route that needs `needed`. Admin may call every route. */
export function roleAllows(held: TokenRole, needed: RouteRole): boolean {
  if (needed === "public" || held === "admin") return true;
  if (needed === "node" || held === "node") return held === needed;
  return RANK[held] >= RANK[needed];
}

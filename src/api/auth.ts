// Who is calling, and may they call this route. Credentials: the operator's bootstrap token (--token-file,
// ORCHESTRA_TOKEN), an admin; role tokens `orc_<id>_<secret>` made with POST /tokens. Without a bootstrap
// token (loopback only, see cmd/api.ts) a request without a credential is the one local user, an admin, as
// before roles existed; a request that presents a token is held to that token's role even there.
import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyRequest } from "fastify";
import type { TokenRole } from "../core/api-token.js";
import type { Clock } from "../core/clock.js";
import type { ApiStore } from "./deadline-store.js";
import { ForbiddenError, UnauthorizedError } from "./errors.js";
import type { RefusalAudit } from "./refusal-audit.js";
import { requiredRole, roleAllows } from "./route-roles.js";
import { checkRoleToken } from "./token-records.js";

export interface Caller {
  role: TokenRole;
  /** A role token's id, `bootstrap` for the operator's token, absent for a local request without one. */
  tokenId?: string;
}

export interface AuthOptions {
  /** The operator's token, an admin credential; without it a request without a token is an admin. */
  bootstrapToken?: string;
  store: ApiStore;
  clock: Clock;
  audit: RefusalAudit;
}

const callers = new WeakMap<FastifyRequest, Caller>();

/** The caller the auth hook accepted for `request` (undefined on public routes). */
export function callerOf(request: FastifyRequest): Caller | undefined {
  return callers.get(request);
}

/** The onRequest hook: 401 without a valid credential, 403 when its role may not call the route. */
export function authenticate(options: AuthOptions): (request: FastifyRequest) => Promise<void> {
  const bootstrap = options.bootstrapToken === undefined ? undefined : digest(options.bootstrapToken);
  return async (request) => {
    const needed = requiredRole(request);
    if (needed === "public") return;
    const path = request.url.split("?")[0] ?? "";
    const refuse = (status: 401 | 403, reason: string, tokenId?: string): never => {
      options.audit.record({ status, tokenId, method: request.method, path, reason });
      throw status === 401
        ? new UnauthorizedError(`authorization: ${reason}`)
        : new ForbiddenError(`authorization: ${reason}`);
    };

    let caller: Caller;
    const header = request.headers.authorization;
    if (header === undefined) {
      if (bootstrap !== undefined) refuse(401, "a bearer token is required");
      caller = { role: "admin" };
    } else {
      const presented = /^Bearer +(\S+) *$/i.exec(header)?.[1];
      if (presented === undefined) return refuse(401, "the bearer token is not valid");
      // Hashing first gives equal lengths, so neither the comparison nor its length check leaks the token.
      if (bootstrap !== undefined && timingSafeEqual(digest(presented), bootstrap)) {
        caller = { role: "admin", tokenId: "bootstrap" };
      } else {
        const check = await checkRoleToken(options.store, presented, options.clock.now());
        if (!check.valid) return refuse(401, check.reason, check.id);
        caller = { role: check.role, tokenId: check.id };
      }
    }
    // A path no route serves answers 404 to any valid credential: it reveals nothing and changes nothing.
    if (!request.is404 && !roleAllows(caller.role, needed)) {
      refuse(
        403,
        `role ${caller.role} may not ${request.method} ${request.routeOptions.url}; it needs ${needed === "node" ? "a node (join) token" : `role ${needed}`}`,
        caller.tokenId,
      );
    }
    callers.set(request, caller);
  };
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

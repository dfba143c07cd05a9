// Guards against requests a web page makes on the user's behalf. Without a token the API trusts whoever can
// reach its loopback address, and a browser can: a page may POST to http://127.0.0.1:8080 (a "simple"
// cross-site request, sent without asking), or rebind its own name to 127.0.0.1 (DNS rebinding) and then read
// and write as if it were same-origin. So, as Docker and Kubernetes guard their local endpoints:
// - without a token, the Host header must be a loopback name or address, or one the operator allowed;
// - a request carrying an Origin (only browsers send one) is refused unless that origin is allowed;
// - a POST must say `Content-Type: application/json`, which a browser never sends cross-site without a
//   preflight that this server does not answer. PUT, PATCH and DELETE always need that preflight.
import type { FastifyRequest } from "fastify";
import { isLoopback } from "../core/loopback.js";
import { truncated } from "../core/truncate.js";
import { ForbiddenError, UnsupportedMediaTypeError } from "./errors.js";

export interface RequestGuardOptions {
  /** Whether requests need a bearer token: then any Host is served (a rebinding page cannot know the token). */
  token: boolean;
  /** Host names (without port) served besides loopback ones when there is no token. */
  allowedHosts?: string[];
  /** Origins (`https://dash.example:8443`) whose browser requests are served; any other Origin gets a 403. */
  allowedOrigins?: string[];
}

/** The onRequest hook: throws ForbiddenError or UnsupportedMediaTypeError before anything is read. */
export function requestGuard(options: RequestGuardOptions): (request: FastifyRequest) => Promise<void> {
  const hosts = new Set((options.allowedHosts ?? []).map((host) => host.toLowerCase()));
  const origins = new Set((options.allowedOrigins ?? []).map((origin) => origin.toLowerCase()));
  return async (request) => {
    // Probes of GET /healthz carry neither token nor a usual Host; it reveals nothing and changes nothing.
    if (request.routeOptions.schema?.security?.length === 0) return;
    if (!options.token) {
      const host = hostName(request.headers.host);
      if (host === undefined || (!isLoopback(host) && !hosts.has(host))) {
        throw new ForbiddenError(
          `host: ${JSON.stringify(truncated(request.headers.host ?? ""))} is not served without a token; use 127.0.0.1 or localhost, or allow the name with --allowed-host`,
        );
      }
    }
    const origin = request.headers.origin;
    if (origin !== undefined && !origins.has(origin.toLowerCase())) {
      throw new ForbiddenError(
        `origin: requests from web pages (${JSON.stringify(truncated(origin))}) are refused; allow an origin with --allowed-origin`,
      );
    }
    if (request.method === "POST") {
      const contentType = request.headers["content-type"];
      const media = contentType?.split(";")[0]?.trim().toLowerCase();
      if (media !== "application/json") {
        throw new UnsupportedMediaTypeError(
          `content-type: must be application/json, even without a body, not ${contentType === undefined ? "missing" : JSON.stringify(truncated(contentType))}`,
        );
      }
    }
  };
}

/** The name of a Host header without its port: `[::1]:8080` → `::1`, `Example:80` → `example`. */
function hostName(header: string | undefined): string | undefined {
  if (header === undefined || header === "") return undefined;
  const bracketed = /^\[([^\]]*)\](:\d+)?$/.exec(header);
  if (bracketed) return bracketed[1]?.toLowerCase();
  return header.replace(/:\d+$/, "").toLowerCase();
}

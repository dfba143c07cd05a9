// The cluster zone's fixed parts: its apex, name server, SOA fields and TTL, and how a query name
// relates to the zone. Shared by the live server and the zone-file writer so both say the same thing.
import { ValidationError } from "../core/errors.js";

export const DEFAULT_DOMAIN = "cluster.local";
/** Every record's TTL, and the negative-caching TTL (SOA minimum): the original used 5 s. */
export const RECORD_TTL = 5;

/** SOA timers (seconds). Only secondaries fed from the zone file use them. */
export const SOA_TIMERS = { refresh: 7200, retry: 1800, expire: 86400, minimum: RECORD_TTL } as const;

export interface ZoneIdentity {
  /** Lower case, no trailing dot, e.g. `cluster.local`. */
  domain: string;
  /**
   * The name server's host name. `ns.dns.<domain>` (as CoreDNS does) cannot collide with a pod name:
   * pods of a deployment `dns` are all called `dns-<suffix>`.
   */
  nsName: string;
  /** IPv4 address the name server is reached at: the NS record's glue. */
  nsAddress: string;
  /** SOA RNAME as a domain name: `hostmaster.<domain>`. */
  hostmaster: string;
}

const LABEL = /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/;

/** Validates and normalises a cluster domain (`Cluster.Local.` → `cluster.local`). */
export function normalizeDomain(domain: string): string {
  const normal = domain.trim().toLowerCase().replace(/\.$/, "");
  if (normal.length === 0 || normal.length > 200 || !normal.split(".").every((label) => LABEL.test(label))) {
    throw new ValidationError(
      "domain",
      `must be a DNS name of labels of a-z, 0-9 and '-' separated by '.', got "${domain}"`,
    );
  }
  return normal;
}

export function zoneIdentity(domain: string, nsAddress: string): ZoneIdentity {
  const normal = normalizeDomain(domain);
  return { domain: normal, nsName: `ns.dns.${normal}`, nsAddress, hostmaster: `hostmaster.${normal}` };
}

/**
 * The labels of `name` below the apex (`web-x.web.cluster.local` → `["web-x", "web"]`, the apex → `[]`),
 * lower-cased; undefined when `name` is outside the zone.
 */
export function labelsInZone(name: string, domain: string): string[] | undefined {
  const normal = name.toLowerCase().replace(/\.$/, "");
  if (normal === domain) return [];
  if (!normal.endsWith(`.${domain}`)) return undefined;
  return normal.slice(0, -(domain.length + 1)).split(".");
}

// Renders the cluster zone as an RFC 1035 master file (what BIND or CoreDNS's `file` plugin load), and
// reads the serial back from one, so that a restarted writer keeps the serial increasing.
import type { ClusterRecords } from "./cluster-records.js";
import { RECORD_TTL, SOA_TIMERS, type ZoneIdentity } from "./zone.js";

/** The same SRV priority and weight the live server gives. */
const SRV_PRIORITY_WEIGHT = "0 10";

export function renderZoneFile(zone: ZoneIdentity, records: ClusterRecords, serial: number): string {
  const { domain, nsName, nsAddress, hostmaster } = zone;
  const { refresh, retry, expire, minimum } = SOA_TIMERS;
  const lines = [
    "; Orchestra cluster DNS zone. Rewritten on every change: edits here are lost.",
    `$ORIGIN ${domain}.`,
    `$TTL ${RECORD_TTL}`,
    `@\tIN\tSOA\t${nsName}. ${hostmaster}. ${serial} ${refresh} ${retry} ${expire} ${minimum}`,
    `@\tIN\tNS\t${nsName}.`,
    `${relative(nsName, domain)}\tIN\tA\t${nsAddress}`,
  ];
  for (const name of records.deploymentNames()) {
    const deployment = records.deployment(name);
    if (!deployment || deployment.pods.length === 0) continue;
    lines.push("", `; deployment ${name}`);
    for (const ip of deployment.addresses) lines.push(`${name}\tIN\tA\t${ip}`);
    for (const pod of deployment.pods) lines.push(`${pod.name}.${name}\tIN\tA\t${pod.ip}`);
    for (const [service, targets] of [...deployment.services].sort(([a], [b]) => (a < b ? -1 : 1))) {
      for (const { pod, port } of targets) {
        lines.push(
          `${service}.${name}\tIN\tSRV\t${SRV_PRIORITY_WEIGHT} ${port} ${pod.name}.${name}.${domain}.`,
        );
      }
    }
  }
  return `${lines.join("\n")}\n`;
}

/** The SOA serial of a zone file's text as written by renderZoneFile; undefined if there is none. */
export function zoneFileSerial(text: string): number | undefined {
  const match = /^\S+\s+(?:\d+\s+)?(?:IN\s+)?SOA\s+\S+\s+\S+\s+\(?\s*(\d+)/m.exec(text);
  if (!match) return undefined;
  const serial = Number(match[1]);
  return Number.isSafeInteger(serial) && serial <= 0xffffffff ? serial : undefined;
}

function relative(name: string, domain: string): string {
  return name.slice(0, -(domain.length + 1));
}

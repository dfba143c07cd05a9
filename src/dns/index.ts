// Cluster DNS: `<deployment>.<domain>` → the deployment's running pods, SRV for named ports, forwarding
// of other names, and an RFC 1035 zone file for BIND or CoreDNS.
export { ClusterAuthority, type ZoneAnswer } from "./cluster-authority.js";
export { ClusterDns, type ClusterDnsOptions } from "./cluster-dns.js";
export {
  ClusterRecords,
  type DeploymentRecords,
  type NamedPort,
  type ServedPod,
  servedPod,
} from "./cluster-records.js";
export {
  type DnsQuery,
  encodeResponse,
  type ParsedMessage,
  parseQuery,
  RCODE,
  type Rcode,
  relayResponse,
  responseLimit,
} from "./dns-message.js";
export { DnsServer, type DnsServerOptions } from "./dns-server.js";
export { Forwarder, type ForwarderOptions } from "./forwarder.js";
export { QueryHandler, type QueryHandlerOptions, type Transport } from "./query-handler.js";
export { frame, LengthPrefixedReader } from "./tcp-framing.js";
export {
  DNS_PORT,
  parseUpstream,
  resolvConfNameservers,
  systemUpstreams,
  type Upstream,
  withoutSelf,
} from "./upstreams.js";
export {
  DEFAULT_DOMAIN,
  labelsInZone,
  normalizeDomain,
  RECORD_TTL,
  type ZoneIdentity,
  zoneIdentity,
} from "./zone.js";
export { renderZoneFile, zoneFileSerial } from "./zone-file.js";
export { readZoneFileSerial, writeFileAtomically, ZoneFileWriter } from "./zone-file-writer.js";
export { ZoneSerial } from "./zone-serial.js";

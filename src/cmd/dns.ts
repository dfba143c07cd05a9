// Starts the cluster DNS server on an address: the entry used by `orchestra run dns` and by `orchestra up`.
import { ClusterDns } from "../dns/cluster-dns.js";
import { systemUpstreams, type Upstream } from "../dns/upstreams.js";
import { DEFAULT_DOMAIN } from "../dns/zone.js";
import type { SharedInformers } from "../machinery/shared-informers.js";
import type { Store } from "../store/store.js";

export const DEFAULT_DNS_HOST = "127.0.0.1";
export const DEFAULT_DNS_PORT = 53;
export { DEFAULT_DOMAIN };

export interface StartDnsOptions {
  store: Store;
  /** Default 127.0.0.1: serve where containers can reach it, e.g. the pod network's gateway. */
  host?: string;
  /** Default 53; 0 picks a free port. */
  port?: number;
  /** Default `cluster.local`. */
  domain?: string;
  /** Resolvers for other names. Default: the nameservers of /etc/resolv.conf (never this server). */
  upstreams?: Upstream[];
  zoneFile?: string;
  /** The process's informers, when it shares them between components (`orchestra up`). */
  informers?: SharedInformers;
}

export interface RunningDns {
  address: string;
  port: number;
  domain: string;
  stop(): Promise<void>;
}

export async function startDns(options: StartDnsOptions): Promise<RunningDns> {
  const dns = new ClusterDns({
    store: options.store,
    host: options.host ?? DEFAULT_DNS_HOST,
    port: options.port ?? DEFAULT_DNS_PORT,
    domain: options.domain,
    upstreams: options.upstreams ?? systemUpstreams(),
    zoneFile: options.zoneFile,
    informers: options.informers,
  });
  await dns.start();
  return { address: dns.address, port: dns.port, domain: dns.zone.domain, stop: () => dns.stop() };
}

// The cluster DNS component: watches pods and deployments into ClusterRecords, serves them over UDP and
// TCP (forwarding other names), and optionally keeps a zone file current. Watch-driven: a pod's records
// change as soon as its store entry does.
import { isIPv4 } from "node:net";
import { networkInterfaces } from "node:os";
import type { Clock } from "../core/clock.js";
import { type Logger, logger as makeLogger } from "../core/logger.js";
import { type InformerLifecycle, SharedInformers } from "../machinery/shared-informers.js";
import type { Store } from "../store/store.js";
import { ClusterAuthority } from "./cluster-authority.js";
import { ClusterRecords } from "./cluster-records.js";
import { DnsServer } from "./dns-server.js";
import { Forwarder } from "./forwarder.js";
import { QueryHandler } from "./query-handler.js";
import { type Upstream, withoutSelf } from "./upstreams.js";
import { DEFAULT_DOMAIN, type ZoneIdentity, zoneIdentity } from "./zone.js";
import { renderZoneFile } from "./zone-file.js";
import { readZoneFileSerial, ZoneFileWriter } from "./zone-file-writer.js";
import { ZoneSerial } from "./zone-serial.js";

export interface ClusterDnsOptions {
  store: Store;
  /** Address to serve on (UDP and TCP). */
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Default `cluster.local`. */
  domain?: string;
  /** Where names outside the zone go; none: they are REFUSED. This server itself is left out. */
  upstreams?: Upstream[];
  /** The name server's address in the zone (NS glue). Default `host`, or this machine's first IPv4. */
  nsAddress?: string;
  /** Keep an RFC 1035 zone file here. */
  zoneFile?: string;
  zoneFileDebounceMs?: number;
  /** Bound on forwarding one query. Default 2 s. */
  forwardTimeoutMs?: number;
  /** The process's informers (shared with its other components). Default: its own, started and stopped with it. */
  informers?: SharedInformers;
  /** Its own informers' safety-net re-list period. Default 30 s. */
  resyncMs?: number;
  clock?: Clock;
  logger?: Logger;
}

export class ClusterDns {
  readonly zone: ZoneIdentity;
  private readonly records = new ClusterRecords();
  private readonly informers: InformerLifecycle;
  private readonly removeHandlers: (() => void)[];
  private readonly server: DnsServer;
  private readonly log: Logger;
  private serial = new ZoneSerial();
  private handler?: QueryHandler;
  private forwarder?: Forwarder;
  private zoneFile?: ZoneFileWriter;
  /** Changes during the initial listing are one change, not one serial each. */
  private synced = false;

  constructor(private readonly options: ClusterDnsOptions) {
    this.log = options.logger ?? makeLogger("dns");
    this.zone = zoneIdentity(
      options.domain ?? DEFAULT_DOMAIN,
      options.nsAddress ?? advertisedAddress(options.host),
    );
    const { informers, lifecycle } = SharedInformers.forComponent(options.store, options.informers, {
      clock: options.clock,
      resyncMs: options.resyncMs,
      logger: this.log,
    });
    this.informers = lifecycle;
    // Removed on stop: shared informers outlive this server.
    this.removeHandlers = [
      informers.pods().addHandlers({
        onAdd: (id, pod) => this.changed(this.records.setPod(id, pod)),
        onUpdate: (id, _old, pod) => this.changed(this.records.setPod(id, pod)),
        onDelete: (id) => this.changed(this.records.setPod(id, undefined)),
      }),
      informers.deployments().addHandlers({
        onAdd: (name) => this.changed(this.records.setDeployment(name, true)),
        onDelete: (name) => this.changed(this.records.setDeployment(name, false)),
      }),
    ];
    this.server = new DnsServer({
      host: options.host,
      port: options.port,
      // Until start() has the forwarder ready (microseconds after binding), queries are dropped: clients retry.
      handle: async (message, transport) => this.handler?.handle(message, transport),
      logger: this.log,
    });
  }

  get address(): string {
    return this.server.address;
  }

  get port(): number {
    return this.server.port;
  }

  /** The SOA serial now. */
  get currentSerial(): number {
    return this.serial.current;
  }

  /** Lists pods and deployments, then serves; the zone file (if any) is written before this resolves. */
  async start(): Promise<void> {
    const { zoneFile } = this.options;
    if (zoneFile) {
      this.serial = new ZoneSerial(await readZoneFileSerial(zoneFile), this.options.clock);
      this.zoneFile = new ZoneFileWriter({
        path: zoneFile,
        render: () => renderZoneFile(this.zone, this.records, this.serial.current),
        debounceMs: this.options.zoneFileDebounceMs,
        clock: this.options.clock,
        logger: this.log.child({ zoneFile }),
      });
    }
    try {
      await this.informers.start();
      this.synced = true;
      await this.server.listen();
      const self = { host: this.options.host, port: this.server.port };
      const upstreams = withoutSelf(this.options.upstreams ?? [], self);
      this.forwarder = new Forwarder({
        upstreams,
        timeoutMs: this.options.forwardTimeoutMs,
        logger: this.log.child({ part: "forwarder" }),
      });
      const authority = new ClusterAuthority(this.records, this.zone, () => this.serial.current);
      this.handler = new QueryHandler({ authority, forwarder: this.forwarder, logger: this.log });
      if (this.zoneFile) {
        this.zoneFile.changed();
        await this.zoneFile.flush();
      }
      this.log.info(
        {
          address: `${self.host}:${self.port}`,
          domain: this.zone.domain,
          upstreams: upstreams.map((u) => `${u.host}:${u.port}`),
          zoneFile,
        },
        "DNS server listening",
      );
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /** Stops serving and watching; writes the zone file's pending change. */
  async stop(): Promise<void> {
    this.handler = undefined;
    this.forwarder?.close();
    await this.server.close();
    for (const remove of this.removeHandlers) remove();
    this.informers.stop();
    await this.zoneFile?.stop();
  }

  private changed(recordsChanged: boolean): void {
    if (!recordsChanged || !this.synced) return;
    this.serial.bump();
    this.zoneFile?.changed();
  }
}

/** The address clients reach the server at: `host`, unless it is a wildcard or not IPv4. */
function advertisedAddress(host: string): string {
  if (isIPv4(host) && host !== "0.0.0.0") return host;
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (address.family === "IPv4" && !address.internal) return address.address;
    }
  }
  return "127.0.0.1";
}

// Answers questions about names inside the cluster zone from ClusterRecords: A for deployments and pods,
// SRV for named ports, SOA/NS at the apex; NXDOMAIN or NODATA with the SOA otherwise. Pure, no I/O.
import type { Answer, SoaAnswer } from "dns-packet";
import type { ClusterRecords, DeploymentRecords, SrvTarget } from "./cluster-records.js";
import { labelsInZone, RECORD_TTL, SOA_TIMERS, type ZoneIdentity } from "./zone.js";

export interface ZoneAnswer {
  rcode: "NOERROR" | "NXDOMAIN";
  answers: Answer[];
  authorities: Answer[];
  additionals: Answer[];
}

/** The records at one name, by type, and what the additional section carries with them. */
interface ZoneNode {
  exists: boolean;
  rrsets: Map<string, Answer[]>;
  additionals: Answer[];
}

const MISSING: ZoneNode = { exists: false, rrsets: new Map(), additionals: [] };
/** Equal weights: clients spread over the targets. */
const SRV_PRIORITY = 0;
const SRV_WEIGHT = 10;
/** Rotation counters kept at most for this many deployments; past it they restart (harmless). */
const MAX_ROTATIONS = 10_000;

export class ClusterAuthority {
  private readonly rotations = new Map<string, number>();

  constructor(
    private readonly records: ClusterRecords,
    readonly zone: ZoneIdentity,
    private readonly serial: () => number,
  ) {}

  /** True when this server is authoritative for `name`. */
  contains(name: string): boolean {
    return labelsInZone(name, this.zone.domain) !== undefined;
  }

  /**
   * The answer for `type` at `name` (which must be in the zone). Owner names of the answers repeat `name`
   * as asked, case included: resolvers that randomise case (0x20) check it.
   */
  answer(name: string, type: string): ZoneAnswer {
    const labels = labelsInZone(name, this.zone.domain);
    const node = labels ? this.lookup(labels, name.replace(/\.$/, ""), type) : MISSING;
    if (!node.exists) return { rcode: "NXDOMAIN", answers: [], authorities: [this.soa()], additionals: [] };
    const answers = type === "ANY" ? [...node.rrsets.values()].flat() : (node.rrsets.get(type) ?? []);
    if (answers.length === 0)
      return { rcode: "NOERROR", answers, authorities: [this.soa()], additionals: [] };
    return { rcode: "NOERROR", answers, authorities: [], additionals: node.additionals };
  }

  /** The zone's SOA record, with the current serial. */
  soa(): SoaAnswer {
    const { domain, nsName, hostmaster } = this.zone;
    return {
      name: domain,
      type: "SOA",
      class: "IN",
      ttl: RECORD_TTL,
      data: { mname: nsName, rname: hostmaster, serial: this.serial(), ...SOA_TIMERS },
    };
  }

  private lookup(labels: string[], owner: string, type: string): ZoneNode {
    const { nsName, nsAddress } = this.zone;
    if (labels.length === 0) {
      const soa = { ...this.soa(), name: owner };
      const ns: Answer = { name: owner, type: "NS", class: "IN", ttl: RECORD_TTL, data: nsName };
      const glue = aRecord(nsName, nsAddress);
      return {
        exists: true,
        rrsets: new Map([
          ["SOA", [soa]],
          ["NS", [ns]],
        ]),
        additionals: [glue],
      };
    }
    if (labels.length === 2 && labels[0] === "ns" && labels[1] === "dns") {
      return { exists: true, rrsets: new Map([["A", [aRecord(owner, nsAddress)]]]), additionals: [] };
    }
    const deploymentName = labels[labels.length - 1] as string;
    const deployment = this.records.deployment(deploymentName);
    if (!deployment) {
      // `dns.<domain>` is the parent of the name server's name: it exists without records.
      return labels.length === 1 && deploymentName === "dns" ? { ...MISSING, exists: true } : MISSING;
    }
    if (labels.length === 1) return this.deploymentNode(deploymentName, deployment, owner, type);
    if (labels.length === 2) {
      const first = labels[0] as string;
      const pod = deployment.byName.get(first);
      if (pod) return { exists: true, rrsets: new Map([["A", [aRecord(owner, pod.ip)]]]), additionals: [] };
      return deployment.protocols.has(first) ? { ...MISSING, exists: true } : MISSING;
    }
    if (labels.length === 3) {
      const targets = deployment.services.get(`${labels[0]}.${labels[1]}`);
      if (targets) return this.serviceNode(targets, owner);
    }
    return MISSING;
  }

  private deploymentNode(name: string, deployment: DeploymentRecords, owner: string, type: string): ZoneNode {
    const { addresses } = deployment;
    if (addresses.length === 0) return { ...MISSING, exists: true };
    // Only answers that carry the addresses turn the rotation: resolvers ask A and AAAA together, and an
    // AAAA query turning it too would hand every client the same order.
    if (type !== "A" && type !== "ANY")
      return { exists: true, rrsets: new Map([["A", []]]), additionals: [] };
    // Each answer starts one further along, so that clients taking the first address spread over the pods.
    const turn = this.rotations.get(name) ?? 0;
    if (this.rotations.size >= MAX_ROTATIONS && !this.rotations.has(name)) this.rotations.clear();
    this.rotations.set(name, turn + 1);
    const start = turn % addresses.length;
    const rotated = [...addresses.slice(start), ...addresses.slice(0, start)];
    return {
      exists: true,
      rrsets: new Map([["A", rotated.map((ip) => aRecord(owner, ip))]]),
      additionals: [],
    };
  }

  private serviceNode(targets: readonly SrvTarget[], owner: string): ZoneNode {
    const { domain } = this.zone;
    const srv: Answer[] = [];
    const glue: Answer[] = [];
    for (const { pod, port } of targets) {
      const target = `${pod.name}.${pod.deployment}.${domain}`;
      srv.push({
        name: owner,
        type: "SRV",
        class: "IN",
        ttl: RECORD_TTL,
        data: { priority: SRV_PRIORITY, weight: SRV_WEIGHT, port, target },
      });
      glue.push(aRecord(target, pod.ip));
    }
    return { exists: true, rrsets: new Map([["SRV", srv]]), additionals: glue };
  }
}

function aRecord(name: string, ip: string): Answer {
  return { name, type: "A", class: "IN", ttl: RECORD_TTL, data: ip };
}

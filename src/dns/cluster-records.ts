// What the cluster DNS serves, indexed by deployment: the addresses and named ports of the pods that run,
// kept current from pod and deployment events. No I/O: the server and the zone-file writer read it.
import { isIPv4 } from "node:net";
import type { Pod } from "../core/types.js";

export interface NamedPort {
  name: string;
  protocol: "tcp" | "udp";
  port: number;
}

/** A pod as DNS sees it. */
export interface ServedPod {
  name: string;
  deployment: string;
  ip: string;
  ports: NamedPort[];
}

export interface SrvTarget {
  pod: ServedPod;
  port: number;
}

/** One deployment's records, rebuilt when one of its pods changes. */
export interface DeploymentRecords {
  /** Sorted by pod name. */
  readonly pods: readonly ServedPod[];
  readonly byName: ReadonlyMap<string, ServedPod>;
  /** The pods' addresses in pod-name order, each once (two pods may briefly report the same one). */
  readonly addresses: readonly string[];
  /** `_<port>._<proto>` → the pods offering it, sorted by pod name. */
  readonly services: ReadonlyMap<string, readonly SrvTarget[]>;
  /** `_tcp` / `_udp` when some service uses it: names that exist without records (empty non-terminals). */
  readonly protocols: ReadonlySet<string>;
}

/**
 * A pod has DNS records while it runs with an IPv4 address and is ready (healthy, when it has a health
 * check). A status written before readiness existed (`ready` absent) counts as ready while running.
 */
export function servedPod(pod: Pod): ServedPod | undefined {
  const ip = pod.status?.ip;
  // A pod being drained before deletion (terminatingSince) leaves DNS first, so clients stop using it.
  if (pod.status?.phase !== "Running" || pod.status.ready === false || pod.terminatingSince) return undefined;
  if (ip === undefined || !isIPv4(ip)) return undefined;
  const ports: NamedPort[] = [];
  for (const port of pod.template?.ports ?? []) {
    if (port.name)
      ports.push({ name: port.name, protocol: port.protocol ?? "tcp", port: port.containerPort });
  }
  return { name: pod.name, deployment: pod.deployment, ip, ports };
}

const EMPTY: DeploymentRecords = {
  pods: [],
  byName: new Map(),
  addresses: [],
  services: new Map(),
  protocols: new Set(),
};

export class ClusterRecords {
  /** Pod id → what it serves. */
  private readonly served = new Map<string, ServedPod>();
  /** Deployment → pod id → what it serves. */
  private readonly byDeployment = new Map<string, Map<string, ServedPod>>();
  /** Deployments declared in the store: their name exists even with no pod running (NODATA, not NXDOMAIN). */
  private readonly declared = new Set<string>();
  /** Built on first read after a change. */
  private readonly views = new Map<string, DeploymentRecords>();

  /** Records pod `id` (undefined: deleted). True when what DNS serves changed. */
  setPod(id: string, pod: Pod | undefined): boolean {
    const next = pod ? servedPod(pod) : undefined;
    const previous = this.served.get(id);
    if (sameServedPod(previous, next)) return false;
    if (previous) {
      this.served.delete(id);
      const pods = this.byDeployment.get(previous.deployment);
      pods?.delete(id);
      if (pods?.size === 0) this.byDeployment.delete(previous.deployment);
      this.views.delete(previous.deployment);
    }
    if (next) {
      this.served.set(id, next);
      let pods = this.byDeployment.get(next.deployment);
      if (!pods) {
        pods = new Map();
        this.byDeployment.set(next.deployment, pods);
      }
      pods.set(id, next);
      this.views.delete(next.deployment);
    }
    return true;
  }

  /** Records whether deployment `name` exists. True when that changed which names exist. */
  setDeployment(name: string, present: boolean): boolean {
    if (present === this.declared.has(name)) return false;
    if (present) this.declared.add(name);
    else this.declared.delete(name);
    // A deployment with running pods exists either way.
    return !this.byDeployment.has(name);
  }

  /** The deployment's records; undefined when no such deployment is declared or serving. */
  deployment(name: string): DeploymentRecords | undefined {
    const cached = this.views.get(name);
    if (cached) return cached;
    const pods = this.byDeployment.get(name);
    if (!pods) return this.declared.has(name) ? EMPTY : undefined;
    const view = buildView([...pods.values()]);
    this.views.set(name, view);
    return view;
  }

  /** Names of every deployment that exists, sorted. */
  deploymentNames(): string[] {
    return [...new Set([...this.declared, ...this.byDeployment.keys()])].sort();
  }
}

function buildView(pods: ServedPod[]): DeploymentRecords {
  pods.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const byName = new Map<string, ServedPod>();
  const services = new Map<string, SrvTarget[]>();
  const protocols = new Set<string>();
  for (const pod of pods) {
    byName.set(pod.name, pod);
    for (const port of pod.ports) {
      const service = `_${port.name}._${port.protocol}`;
      let targets = services.get(service);
      if (!targets) {
        targets = [];
        services.set(service, targets);
      }
      targets.push({ pod, port: port.port });
      protocols.add(`_${port.protocol}`);
    }
  }
  return { pods, byName, addresses: [...new Set(pods.map((pod) => pod.ip))], services, protocols };
}

function sameServedPod(a: ServedPod | undefined, b: ServedPod | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return (
    a.name === b.name &&
    a.deployment === b.deployment &&
    a.ip === b.ip &&
    JSON.stringify(a.ports) === JSON.stringify(b.ports)
  );
}

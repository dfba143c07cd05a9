// What the scheduler knows about each node while it decides one batch: requested resources and pod counts,
// updated after every binding so that later pods in the batch see the earlier ones.
import type { NodeInfo, Pod, VolumeReport } from "../core/types.js";

export interface NodeUsage {
  /** Millicores requested by the pods bound to the node. */
  cpu: number;
  /** Bytes requested by the pods bound to the node. */
  memory: number;
  pods: number;
  /** Pods bound to the node, per deployment. */
  byDeployment: Map<string, number>;
}

export interface Snapshot {
  nodes: NodeInfo[];
  pods: Pod[];
  /** The named volumes workers report (`/volumes`): which node holds which Docker volume. */
  volumes?: readonly VolumeReport[];
}

export class SchedulingState {
  private readonly usage = new Map<string, NodeUsage>();
  /** Docker volume name → the nodes that hold it (those marked for purge left out). */
  private readonly holders = new Map<string, Set<string>>();

  /** Usage of every node in `snapshot` from its bound pods; pods with ids in `exclude` are left out. */
  static from(snapshot: Snapshot, exclude: ReadonlySet<string> = new Set()): SchedulingState {
    const state = new SchedulingState();
    for (const node of snapshot.nodes) state.usage.set(node.name, emptyUsage());
    for (const report of snapshot.volumes ?? []) {
      if (report.purge) continue;
      const nodes = state.holders.get(report.name) ?? new Set<string>();
      nodes.add(report.node);
      state.holders.set(report.name, nodes);
    }
    for (const pod of snapshot.pods) {
      // Pods bound to nodes that are gone take no capacity anywhere.
      if (pod.node !== undefined && !exclude.has(pod.id) && state.usage.has(pod.node))
        state.assume(pod, pod.node);
    }
    return state;
  }

  /** Usage of `node` (all zero for a node the state has not seen). */
  of(node: string): Readonly<NodeUsage> {
    return this.usage.get(node) ?? emptyUsage();
  }

  /** The nodes that hold Docker volume `name` (empty when none does yet). */
  volumeHolders(name: string): ReadonlySet<string> {
    return this.holders.get(name) ?? NO_NODES;
  }

  /** Counts `pod` as bound to `node`. */
  assume(pod: Pod, node: string): void {
    let usage = this.usage.get(node);
    if (!usage) {
      usage = emptyUsage();
      this.usage.set(node, usage);
    }
    usage.cpu += pod.template.resources?.cpu ?? 0;
    usage.memory += pod.template.resources?.memory ?? 0;
    usage.pods += 1;
    usage.byDeployment.set(pod.deployment, (usage.byDeployment.get(pod.deployment) ?? 0) + 1);
  }
}

const NO_NODES: ReadonlySet<string> = new Set();

function emptyUsage(): NodeUsage {
  return { cpu: 0, memory: 0, pods: 0, byDeployment: new Map() };
}

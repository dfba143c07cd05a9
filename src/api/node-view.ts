// Nodes as the API serves them: the worker's registration merged with what users set (/nodeconfig), plus
// what is computed from the pods bound to each node. A configured node, one pods are bound to, or one that holds
// a pod subnet, whose worker is gone is NotReady (until an operator removes it: DELETE /nodes/{name}).
import { applyLabels, effectiveNode, type NodeConfig } from "../core/node-config.js";
import type { NodeInfo, NodeView, Pod } from "../core/types.js";
import type { NodeSubnet } from "../network/records.js";

export type { NodeView } from "../core/types.js";

/** One view per registered or configured node, node with bound pods or with a pod subnet, sorted by name. */
export function nodeViews(
  registrations: NodeInfo[],
  configs: Map<string, NodeConfig>,
  pods: Pod[],
  subnets: Map<string, NodeSubnet> = new Map(),
): NodeView[] {
  const usage = new Map<string, { pods: number; cpu: number; memory: number }>();
  for (const pod of pods) {
    if (pod.node === undefined) continue;
    const used = usage.get(pod.node) ?? { pods: 0, cpu: 0, memory: 0 };
    used.pods += 1;
    used.cpu += pod.template.resources?.cpu ?? 0;
    used.memory += pod.template.resources?.memory ?? 0;
    usage.set(pod.node, used);
  }
  const view = (info: NodeInfo, ready: boolean): NodeView => {
    const config = configs.get(info.name);
    const used = usage.get(info.name) ?? { pods: 0, cpu: 0, memory: 0 };
    return {
      ...effectiveNode(info, config),
      unschedulable: config?.unschedulable === true,
      ready,
      pods: used.pods,
      allocated: { cpu: used.cpu, memory: used.memory },
    };
  };
  const registered = new Set(registrations.map((node) => node.name));
  const views = registrations.map((node) => view(node, true));
  // A node whose worker is gone still shows (NotReady) while users configured it, pods are bound to it or it
  // holds a pod subnet.
  const absentNames = new Set([...configs.keys(), ...usage.keys(), ...subnets.keys()]);
  for (const name of absentNames) {
    if (registered.has(name)) continue;
    const config = configs.get(name);
    const subnet = subnets.get(name);
    const absent: NodeInfo = {
      name,
      address: subnet?.address ?? "",
      labels: applyLabels({}, config?.labels),
      capacity: { cpu: 0, memory: 0 },
      ...(subnet ? { podSubnet: subnet.subnet } : {}),
      schedulable: false,
      registeredAt: "",
    };
    views.push(view(absent, false));
  }
  return views.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

// `orchestra describe node NAME`: its registration, conditions, capacity and what its pods take of it, its
// pods and its recent events, in kubectl's manner. Pure: the command fetches, this formats.
import type { ClusterEvent, Pod } from "../../core/types.js";
import type { NodeView } from "../api-client.js";
import { formatCpu, formatMemory } from "../quantity.js";
import { formatAge } from "./age.js";
import { sortByName } from "./by-name.js";
import { type Condition, conditionTable } from "./describe-deployment.js";
import { Description, timeAndAge } from "./description.js";
import { eventTable } from "./event-table.js";
import { nodeStatus, podStatusText } from "./resource-tables.js";
import type { Table } from "./table.js";

/** Ready: its worker is registered. Schedulable: new pods may go there (not cordoned). */
export function nodeConditions(node: NodeView): Condition[] {
  const ready: Condition =
    node.ready === false
      ? ["Ready", "False", "WorkerGone", "no worker is registered under this name; its pods are moved"]
      : node.stoppingAt !== undefined
        ? ["Ready", "True", "WorkerStopping", `the worker is restarting since ${node.stoppingAt}`]
        : ["Ready", "True", "WorkerRegistered", `registered at ${node.registeredAt}`];
  let schedulable: Condition = ["Schedulable", "True", "Schedulable", ""];
  if (node.unschedulable === true)
    schedulable = ["Schedulable", "False", "Cordoned", "orchestra uncordon to undo"];
  else if (node.schedulable === false)
    schedulable = ["Schedulable", "False", "WorkerUnschedulable", "the worker registered as unschedulable"];
  return [ready, schedulable];
}

/** `500m (25%)`: a share of a capacity, `-` when the node reports none. */
function share(allocated: number, capacity: number | undefined, format: (n: number) => string): string {
  if (!capacity) return `${format(allocated)} (capacity unknown)`;
  return `${format(allocated)} (${Math.round((allocated / capacity) * 100)}%)`;
}

/** NAME DEPLOYMENT STATUS RESTARTS CPU MEMORY AGE: the node's pods with their requests, by name. */
export function nodePodRows(pods: Pod[], now: number): Table {
  const sorted = sortByName(pods);
  return {
    headers: ["NAME", "DEPLOYMENT", "STATUS", "RESTARTS", "CPU", "MEMORY", "AGE"],
    rows: sorted.map((pod) => {
      const resources = pod.template.resources;
      return [
        pod.name,
        pod.deployment,
        podStatusText(pod),
        String(pod.status.restarts ?? 0),
        resources?.cpu === undefined ? "-" : formatCpu(resources.cpu),
        resources?.memory === undefined ? "-" : formatMemory(resources.memory),
        formatAge(pod.createdAt, now),
      ];
    }),
  };
}

export function describeNode(node: NodeView, pods: Pod[], events: ClusterEvent[], now: number): string {
  const labels = Object.entries(node.labels ?? {})
    .map(([key, value]) => `${key}=${value}`)
    .sort();
  const allocated = node.allocated ?? {
    cpu: pods.reduce((sum, pod) => sum + (pod.template.resources?.cpu ?? 0), 0),
    memory: pods.reduce((sum, pod) => sum + (pod.template.resources?.memory ?? 0), 0),
  };
  const capacity = node.capacity;
  const description = new Description()
    .field("Name", node.name)
    .field("Status", nodeStatus(node))
    .field("Address", node.address)
    .field("Pod subnet", node.podSubnet)
    .field("Labels", labels.join("\n"))
    .field("Registered", timeAndAge(node.registeredAt, now))
    .field(
      "Capacity",
      capacity ? `cpu ${formatCpu(capacity.cpu)}, memory ${formatMemory(capacity.memory)}` : undefined,
    )
    .field(
      "Allocated",
      `cpu ${share(allocated.cpu, capacity?.cpu, formatCpu)}, memory ${share(allocated.memory, capacity?.memory, formatMemory)} (requests of its pods)`,
    )
    .table("Conditions", conditionTable(nodeConditions(node)))
    .table(`Pods (${pods.length})`, nodePodRows(pods, now))
    .table("Events", eventTable(events, now, { object: false }));
  return description.render();
}

// `orchestra describe pod NAME`: where it runs, its status with the reason and message, its conditions, the
// template it was made from, and its recent events, in kubectl's manner. Pure: the command fetches, this formats.
import type { ClusterEvent, Pod } from "../../core/types.js";
import { type Condition, conditionTable } from "./describe-deployment.js";
import { describeTemplate } from "./describe-template.js";
import { Description, timeAndAge } from "./description.js";
import { eventTable } from "./event-table.js";
import { podStatusText } from "./resource-tables.js";

/**
 * PodScheduled: bound to a node (else why not: the scheduler's message). Running: its container runs (else the
 * worker's reason). Ready: running, healthy when checked, not terminating (only then in DNS and available).
 */
export function podConditions(pod: Pod): Condition[] {
  const status = pod.status;
  const waiting = status.reason ?? status.phase;
  const message = status.message ?? "";
  const scheduled: Condition =
    pod.node !== undefined
      ? ["PodScheduled", "True", "Scheduled", `bound to ${pod.node}`]
      : ["PodScheduled", "False", status.reason ?? "Pending", message];
  const running: Condition =
    status.phase === "Running"
      ? [
          "Running",
          "True",
          "ContainerRunning",
          status.containerId ? `container ${shortId(status.containerId)}` : "",
        ]
      : ["Running", "False", waiting, pod.node === undefined ? "" : message];
  let ready: Condition;
  if (status.ready) ready = ["Ready", "True", "PodReady", ""];
  else if (pod.terminatingSince !== undefined)
    ready = ["Ready", "False", "Terminating", "leaving DNS, then stopped"];
  else if (status.phase === "Running" && status.health !== undefined && status.health !== "healthy")
    ready = ["Ready", "False", "HealthCheck", `health ${status.health}`];
  else ready = ["Ready", "False", status.phase === "Running" ? "NotReady" : "ContainerNotRunning", ""];
  return [scheduled, running, ready];
}

function shortId(id: string): string {
  return id.slice(0, 12);
}

export function describePod(pod: Pod, events: ClusterEvent[], now: number): string {
  const status = pod.status;
  const description = new Description()
    .field("Name", pod.name)
    .field("ID", pod.id)
    .field("Deployment", pod.deployment)
    .field("Revision hash", pod.hash)
    .field("Node", pod.node)
    .field("Created", timeAndAge(pod.createdAt, now))
    .field("Status", podStatusText(pod))
    .field("Phase", status.phase)
    .field("Reason", status.reason)
    .field("Message", status.message)
    .field("IP", status.ip)
    .field("Container", status.containerId ? shortId(status.containerId) : undefined)
    .field("Started", timeAndAge(status.startedAt, now))
    .field("Ready", status.ready ? `True (since ${status.readySince ?? "?"})` : "False")
    .field("Health", status.health ?? (pod.template.healthCheck ? undefined : "no health check"))
    .field("Restarts", String(status.restarts ?? 0));
  if (pod.terminatingSince !== undefined)
    description.field("Terminating", timeAndAge(pod.terminatingSince, now));
  if (pod.avoidNodes?.length) description.field("Avoids nodes", pod.avoidNodes.join(", "));
  description.heading("Template");
  describeTemplate(description, pod.template, 2);
  description.table("Conditions", conditionTable(podConditions(pod)));
  description.table("Events", eventTable(events, now, { object: false }));
  return description.render();
}

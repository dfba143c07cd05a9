// `orchestra describe deployment NAME`: spec, replica counts, conditions, the latest rollout, the pods and the
// recent events of the deployment and its pods, in kubectl's manner. Pure: the command fetches, this formats.
import { resolveBudget, resolveStrategy } from "../../core/defaults.js";
import type { ClusterEvent, Pod, Revision, RolloutView } from "../../core/types.js";
import type { DeploymentView } from "../api-client.js";
import { formatAge } from "./age.js";
import { sortByName } from "./by-name.js";
import { describeTemplate } from "./describe-template.js";
import { Description, timeAndAge } from "./description.js";
import { eventTable } from "./event-table.js";
import { podStatusText } from "./resource-tables.js";
import type { Table } from "./table.js";

export interface DeploymentFacts {
  deployment: DeploymentView;
  /** Absent when the server has none to give (no rollout recorded yet). */
  rollout?: RolloutView;
  history: Revision[];
  pods: Pod[];
  /** Events about the deployment and its pods, oldest first. */
  events: ClusterEvent[];
}

/** A condition row: TYPE STATUS REASON MESSAGE, as kubectl's. */
export type Condition = [type: string, status: "True" | "False" | "Unknown", reason: string, message: string];

export function conditionTable(conditions: Condition[]): Table {
  return { headers: ["TYPE", "STATUS", "REASON", "MESSAGE"], rows: conditions.map((row) => [...row]) };
}

/**
 * Available: at least replicas - maxUnavailable pods of the current revision are available (Kubernetes' rule).
 * Progressing: from the controller's record of the latest rollout.
 */
export function deploymentConditions(
  deployment: DeploymentView,
  rollout: RolloutView | undefined,
): Condition[] {
  const strategy = resolveStrategy(deployment.strategy);
  const needed = Math.max(
    0,
    deployment.replicas - resolveBudget(strategy.maxUnavailable, deployment.replicas, "down"),
  );
  const available = deployment.status?.availableReplicas ?? 0;
  const availability = `${available} of ${deployment.replicas} available, ${needed} needed`;
  const conditions: Condition[] = [
    available >= needed
      ? ["Available", "True", "MinimumReplicasAvailable", availability]
      : ["Available", "False", "MinimumReplicasUnavailable", availability],
  ];
  if (!rollout?.observed) {
    conditions.push([
      "Progressing",
      "Unknown",
      "NotObserved",
      "the controller has not seen the latest spec yet",
    ]);
  } else if (rollout.state === "progressing") {
    conditions.push(["Progressing", "True", "NewRevisionProgressing", rollout.message]);
  } else if (rollout.state === "complete") {
    conditions.push(["Progressing", "True", "NewRevisionAvailable", rollout.message]);
  } else if (rollout.state === "failed") {
    conditions.push(["Progressing", "False", "RolloutFailed", rollout.message]);
  } else {
    conditions.push(["Progressing", "False", "RolledBack", rollout.message]);
  }
  return conditions;
}

/** NAME NODE STATUS READY RESTARTS AGE, by name. */
export function podRows(pods: Pod[], now: number): Table {
  const sorted = sortByName(pods);
  return {
    headers: ["NAME", "NODE", "STATUS", "READY", "RESTARTS", "AGE"],
    rows: sorted.map((pod) => [
      pod.name,
      pod.node ?? "<none>",
      podStatusText(pod),
      pod.status.ready ? "True" : "False",
      String(pod.status.restarts ?? 0),
      formatAge(pod.createdAt, now),
    ]),
  };
}

function strategyText(deployment: DeploymentView): string {
  const s = resolveStrategy(deployment.strategy);
  return (
    `RollingUpdate: maxSurge ${s.maxSurge}, maxUnavailable ${s.maxUnavailable}, ` +
    `minReadySeconds ${s.minReadySeconds}, progressDeadlineSeconds ${s.progressDeadlineSeconds}, ` +
    `autoRollback ${s.autoRollback ? "on" : "off"}`
  );
}

function replicasText(deployment: DeploymentView, pods: Pod[]): string {
  const status = deployment.status;
  const available = status?.availableReplicas ?? 0;
  return (
    `${deployment.replicas} desired | ${status?.updatedReplicas ?? 0} updated | ${pods.length} total | ` +
    `${status?.readyReplicas ?? 0} ready | ${available} available | ` +
    `${Math.max(0, deployment.replicas - available)} unavailable`
  );
}

export function describeDeployment(facts: DeploymentFacts, now: number): string {
  const { deployment, rollout, history, pods, events } = facts;
  const description = new Description()
    .field("Name", deployment.name)
    .field("Created", timeAndAge(deployment.createdAt, now))
    .field("Generation", String(deployment.generation))
    .field("Revision hash", deployment.hash)
    .field("Replicas", replicasText(deployment, pods))
    .field("Strategy", strategyText(deployment));
  description.heading("Pod template");
  describeTemplate(description, deployment, 2);
  description.table("Conditions", conditionTable(deploymentConditions(deployment, rollout)));
  if (rollout) {
    const revision = history.find((r) => r.revision === rollout.revision);
    description
      .heading("Rollout")
      .field("Revision", `${rollout.revision} (hash ${rollout.hash})`, 2)
      .field("Cause", revision?.cause, 2)
      .field("State", rollout.state, 2)
      .field(
        "Progress",
        `${rollout.updatedReplicas} updated, ${rollout.readyReplicas} ready, ${rollout.availableReplicas} available ` +
          `of ${rollout.replicas} (${rollout.totalReplicas} pods of every revision)`,
        2,
      )
      .field("Started", timeAndAge(rollout.startedAt, now), 2)
      .field("Last progress", timeAndAge(rollout.progressAt, now), 2)
      .field("Message", rollout.message, 2)
      .field("Revisions", history.map((r) => String(r.revision)).join(", "), 2);
  } else {
    description.field("Rollout", undefined);
  }
  description.table("Pods", podRows(pods, now));
  description.table("Events", eventTable(events, now));
  return description.render();
}

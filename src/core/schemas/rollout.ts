// Schemas of a deployment's rollout as the controller records it (`/rollouts/<deployment>`) and as
// GET /deployments/{name}/rollout serves it.
import Type from "typebox";
import { Count, closed, timestamp } from "./common.js";

export const RolloutState = Type.Enum(["progressing", "complete", "failed", "rolled-back"], {
  description:
    "`failed`: new pods unhealthy or no progress past the deadline; `rolled-back`: back to the last good revision.",
});

/** The controller's view of a deployment's latest rollout. */
export const RolloutStatus = closed(
  {
    revision: Count,
    hash: Type.String({ description: "Revision hash of the template being rolled out." }),
    observedGeneration: Type.Integer({ description: "The deployment generation this status reflects." }),
    state: RolloutState,
    message: Type.String({
      description: "Why the state is what it is, e.g. why it failed and where it rolled back to.",
    }),
    replicas: Count,
    updatedReplicas: Type.Integer({ description: "Pods of the current revision." }),
    readyReplicas: Type.Integer({ description: "Ready pods of any revision." }),
    availableReplicas: Type.Integer({
      description: "Pods of the current revision ready for at least minReadySeconds.",
    }),
    totalReplicas: Type.Integer({ description: "Pods of every revision." }),
    startedAt: timestamp(),
    updatedAt: timestamp(),
    progressAt: timestamp(
      "The last time the rollout moved forward: progressDeadlineSeconds counts from here.",
    ),
  },
  { title: "RolloutStatus", description: "The controller's record of a deployment's latest rollout." },
);

export const RolloutView = closed(
  {
    ...RolloutStatus.properties,
    observed: Type.Boolean({ description: "The controller has seen the deployment's latest spec." }),
  },
  {
    title: "Rollout",
    description:
      "The latest rollout as the controller records it; `observed` once it has seen the latest spec.",
  },
);

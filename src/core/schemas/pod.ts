// Schemas of a pod as stored (`/pods/<id>`) and served (GET /pods), and of evicting one.
import Type from "typebox";
import { Count, closed, timestamp } from "./common.js";
import { PodTemplate } from "./deployment.js";
import { PageFields } from "./list-page.js";

export const PodPhase = Type.Enum(["Pending", "Starting", "Running", "Failed", "Succeeded", "Unknown"]);

export const PodStatus = closed(
  {
    phase: PodPhase,
    ready: Type.Optional(
      Type.Boolean({
        description:
          "Running and, when the template has a health check, healthy. Only ready pods are in DNS and count as available.",
      }),
    ),
    health: Type.Optional(
      Type.Enum(["starting", "healthy", "unhealthy"], {
        description: "Result of the health check; absent without one.",
      }),
    ),
    readySince: Type.Optional(timestamp("When the pod became ready, for minReadySeconds.")),
    message: Type.Optional(
      Type.String({ description: "Human-readable reason for the phase, e.g. why a pod is unschedulable." }),
    ),
    reason: Type.Optional(
      Type.String({
        description:
          "One CamelCase word refining the phase, e.g. `CrashLoopBackOff` while waiting out a backoff.",
      }),
    ),
    containerId: Type.Optional(Type.String()),
    ip: Type.Optional(Type.String()),
    restarts: Count,
    startedAt: Type.Optional(timestamp()),
  },
  { title: "PodStatus", description: "What the worker running the pod reports." },
);

export const Pod = closed(
  {
    id: Type.String({ description: "Unique id, also the store key." }),
    name: Type.String({ description: "Readable name, `<deployment>-<suffix>`." }),
    deployment: Type.String(),
    hash: Type.String({ description: "Revision hash of the deployment template this pod was made from." }),
    template: PodTemplate,
    node: Type.Optional(
      Type.String({ description: "The node the scheduler bound the pod to; absent while unscheduled." }),
    ),
    avoidNodes: Type.Optional(
      Type.Array(Type.String(), {
        description:
          "Nodes this pod was moved away from after crashing past its restart limit: the scheduler avoids them.",
      }),
    ),
    terminatingSince: Type.Optional(
      timestamp(
        "Set by the controller when it removes a ready pod: the pod leaves DNS but keeps running for a drain delay, then is deleted.",
      ),
    ),
    status: PodStatus,
    createdAt: timestamp(),
    updatedAt: timestamp(),
  },
  { title: "Pod", description: "One replica of a deployment." },
);

/** The name of a node or the id of a pod in a path: no '/' and not `.` or `..`, so never a path trick. */
export const ObjectName = Type.String({
  pattern: "^(?!\\.{1,2}$)[A-Za-z0-9._-]+$",
  errorMessage: "must be 1 or more of letters, digits, '.', '_' and '-'",
});

export const PodQuery = closed({
  deployment: Type.Optional(Type.String({ description: "Only the pods of this deployment." })),
  node: Type.Optional(Type.String({ description: "Only the pods bound to this node." })),
  ...PageFields,
});

export const PodIdParams = closed({ id: ObjectName });

export const EvictionResult = closed(
  {
    id: Type.String(),
    name: Type.String(),
    node: Type.Optional(Type.String({ description: "The node it was evicted from; absent if unscheduled." })),
  },
  { title: "Eviction", description: "Evicted: the pod is deleted and its deployment replaces it." },
);

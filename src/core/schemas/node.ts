// Schemas of a worker node: its registration (`/nodes/<name>`, ephemeral), the view GET /nodes serves
// (merged with what users set: cordon, labels) and the changes users make.
import Type from "typebox";
import { MAX_LABELS } from "../limits.js";
import { checkLabelKeys } from "../spec-rules.js";
import {
  atMost,
  Count,
  checked,
  closed,
  LABEL_VALUE,
  LABEL_VALUE_MESSAGE,
  stringMap,
  timestamp,
} from "./common.js";
import { LabelKey } from "./deployment.js";
import { ObjectName } from "./pod.js";

export const NodeCapacity = closed(
  {
    cpu: Type.Integer({ minimum: 0, description: "Millicores." }),
    memory: Type.Integer({ minimum: 0, description: "Bytes." }),
  },
  { title: "NodeCapacity", description: "CPU in millicores, memory in bytes." },
);

/** A worker's registration. Ephemeral in the store: it disappears with the worker's session. */
export const NodeInfo = closed(
  {
    name: Type.String(),
    address: Type.String({
      description: "Where other nodes reach it; empty for a node whose worker is gone.",
    }),
    labels: stringMap(Type.String()),
    capacity: NodeCapacity,
    podSubnet: Type.Optional(
      Type.String({
        description:
          "The node's /24 of the cluster's pod CIDR: its pods' addresses, routed to it from every node.",
      }),
    ),
    endpoint: Type.Optional(
      Type.String({
        description:
          "URL of the worker's node endpoint (logs, exec, usage of its pods), which API servers call over TLS; e.g. `https://10.0.0.2:10250`.",
      }),
    ),
    endpointCertificate: Type.Optional(
      Type.String({
        description:
          "The node endpoint's self-signed certificate (PEM), which API servers accept and no other: the store vouches for it.",
      }),
    ),
    schedulable: Type.Boolean({
      description: "False when the worker registered so or a user cordoned the node.",
    }),
    registeredAt: Type.String({
      description: "ISO time of the registration; empty for a node whose worker is gone.",
    }),
    stoppingAt: Type.Optional(
      timestamp(
        "Set by a worker that stops cleanly, just before its registration goes: a restart in place, so its pods are moved later.",
      ),
    ),
  },
  { title: "NodeInfo", description: "A worker's registration." },
);

/** A node as GET /nodes serves it: the registration with the user's settings applied, plus computed counts. */
export const NodeView = closed(
  {
    ...NodeInfo.properties,
    unschedulable: Type.Boolean({ description: "Cordoned by a user (PUT /nodes/{name}/cordon)." }),
    ready: Type.Boolean({ description: "The worker is registered: false for a node whose worker is gone." }),
    pods: Count,
    allocated: closed(
      { cpu: Count, memory: Count },
      {
        description: "Sum of the requests of the pods bound to the node: cpu in millicores, memory in bytes.",
      },
    ),
  },
  {
    title: "Node",
    description:
      "A registered node with user settings (cordon, labels) applied; a configured node or one pods are bound to whose worker is gone, as not ready.",
  },
);

export const NodeNameParams = closed({ name: ObjectName });

/** The body of PATCH /nodes/{name}/labels: a string sets a label, `null` removes it. */
export const NodeLabelsPatch = closed(
  {
    labels: checked(
      stringMap(
        Type.Unsafe<string | null>({
          type: ["string", "null"],
          pattern: LABEL_VALUE,
          errorMessage: LABEL_VALUE_MESSAGE,
        }),
        {
          keys: LabelKey,
          maxProperties: MAX_LABELS,
          errorMessage: {
            type: "must be an object mapping label keys to a string or null",
            maxProperties: atMost(MAX_LABELS, "labels"),
          },
        },
      ),
      checkLabelKeys,
    ),
  },
  {
    title: "NodeLabelsPatch",
    description: "Labels to set (a string) or remove (null), on top of the worker's --label ones.",
    errorMessage: { type: "must be an object {labels: {key: value | null}}" },
  },
);

export const CordonResult = closed(
  {
    changed: Type.Boolean({ description: "False when the node already was in that state." }),
    node: NodeView,
  },
  { title: "CordonResult" },
);

/** The answer of DELETE /nodes/{name}. */
export const NodeRemoved = closed(
  {
    name: Type.String(),
    podSubnet: Type.Optional(Type.String({ description: "The pod subnet released, if the node held one." })),
  },
  { title: "NodeRemoved", description: "The node is gone, with its settings and its pod subnet." },
);

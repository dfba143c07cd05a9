// Schemas of what reaches into a pod's container: its logs (GET /pods/{name}/log), a command run in it
// (GET /pods/{name}/exec, a WebSocket) and its resource use (GET /usage/pods, GET /usage/nodes). The API
// server serves them by asking the node endpoint of the pod's worker, which takes the same parameters.
import Type from "typebox";
import { checkSince } from "../since.js";
import { Count, checked, closed, timestamp } from "./common.js";
import { ObjectName } from "./pod.js";

/** Most lines `tail` may ask for. */
export const MAX_TAIL_LINES = 100_000;

/** A pod in a path: its name (`web-x5w4w`) or its id (the parameter is `id`, as in POST /pods/{id}/eviction). */
export const PodRefParams = closed({
  id: Type.String({ ...ObjectName, description: "The pod's name (`web-x5w4w`) or id." }),
});

const Flag = (description: string) => Type.Boolean({ default: false, description });

export const LogQuery = closed({
  follow: Flag("Keep the answer open and send what the container writes, across its restarts."),
  tail: Type.Optional(
    Type.Integer({
      minimum: 0,
      maximum: MAX_TAIL_LINES,
      description: "Only the last this many lines written so far.",
    }),
  ),
  since: Type.Optional(
    checked(
      Type.String({
        description:
          "Only lines written since then: a duration back from now (`30s`, `10m`, `2h`, `1h30m`) or an RFC 3339 time.",
      }),
      checkSince,
    ),
  ),
  timestamps: Flag("Start each line with the time it was written (RFC 3339) and a space."),
  previous: Flag(
    "The output of the container before the last restart, as the worker kept it (its last 1000 lines, at most 1 MiB).",
  ),
});

export const ExecQuery = closed({
  command: Type.Unsafe<string | string[]>({
    anyOf: [Type.String({ minLength: 1 }), Type.Array(Type.String(), { minItems: 1 })],
    description: "The command and its arguments, one `command` parameter each, in order (no shell).",
    errorMessage: "must name the command to run, one `command` parameter per argument",
  }),
  stdin: Flag("Send the client's input (channel 0) to the command."),
  tty: Flag("Give the command a terminal: its output all comes on channel 1; resizes on channel 4."),
});

/** Usage of one pod's container now; `error` instead of figures when its node could not say. */
export const PodUsage = closed(
  {
    name: Type.String(),
    id: Type.String(),
    deployment: Type.String(),
    node: Type.String(),
    cpu: Type.Optional(
      Type.Integer({ minimum: 0, description: "Millicores, averaged since the last sample." }),
    ),
    memory: Type.Optional(Type.Integer({ minimum: 0, description: "Working set in bytes." })),
    error: Type.Optional(
      Type.String({ description: "Why there are no figures (the node did not answer, ...)." }),
    ),
  },
  { title: "PodUsage", description: "What a pod's container uses now (`orchestra top pods`)." },
);

export const NodeUsage = closed(
  {
    name: Type.String(),
    cpu: Type.Optional(Type.Integer({ minimum: 0, description: "Millicores used by its pods' containers." })),
    memory: Type.Optional(Type.Integer({ minimum: 0, description: "Bytes used by its pods' containers." })),
    capacity: closed({ cpu: Count, memory: Count }, { description: "Millicores and bytes the node has." }),
    pods: Count,
    sampledAt: Type.Optional(timestamp("When the node took the figures.")),
    error: Type.Optional(
      Type.String({ description: "Why there are no figures (the node did not answer, ...)." }),
    ),
  },
  { title: "NodeUsage", description: "What a node's pods use now (`orchestra top nodes`)." },
);

export const PodUsageQuery = closed({
  deployment: Type.Optional(Type.String({ description: "Only the pods of this deployment." })),
  node: Type.Optional(Type.String({ description: "Only the pods on this node." })),
});

/** A node endpoint's answer to GET /usage: its pods' figures, the sum, and when they were taken. */
export const NodeEndpointUsage = closed(
  {
    node: Type.String(),
    sampledAt: timestamp(),
    pods: Type.Array(
      closed({
        id: Type.String(),
        name: Type.String(),
        deployment: Type.String(),
        cpu: Type.Optional(Type.Integer({ minimum: 0 })),
        memory: Type.Optional(Type.Integer({ minimum: 0 })),
      }),
    ),
  },
  { title: "NodeEndpointUsage" },
);

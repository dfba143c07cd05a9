// Schemas of a deployment's workload options: health check, placement, restart policy, rollout strategy.
import Type from "typebox";
import { DEFAULT_HEALTH_TIMING, DEFAULT_RESTART_POLICY, DEFAULT_STRATEGY } from "../defaults.js";
import {
  MAX_ARG_LENGTH,
  MAX_ARGS,
  MAX_CONSTRAINT_VALUES,
  MAX_CONSTRAINTS,
  MAX_HTTP_PATH_LENGTH,
  MAX_LABEL_KEY_LENGTH,
} from "../limits.js";
import { checkConstraint, checkRestartPolicy, checkStrategy } from "../spec-rules.js";
import {
  atMost,
  atMostCharacters,
  checked,
  closed,
  LABEL_VALUE,
  LABEL_VALUE_MESSAGE,
  NO_NUL_OR_LINE_BREAK,
} from "./common.js";

/** A TCP or UDP port number. */
export const PortNumber = Type.Integer({ minimum: 1, maximum: 65535 });

const seconds = (minimum: number, maximum: number, fallback: number | undefined, description: string) =>
  Type.Integer({ minimum, maximum, ...(fallback === undefined ? {} : { default: fallback }), description });

const EXEC_MESSAGE = 'must be a non-empty array of strings, e.g. ["wget", "-qO-", "http://127.0.0.1:8080/"]';
const HTTP_PATH_MESSAGE = "must be a path starting with '/', without spaces or control characters";

export const HealthCheck = closed(
  {
    exec: Type.Optional(
      Type.Array(
        Type.String({
          pattern: NO_NUL_OR_LINE_BREAK,
          maxLength: MAX_ARG_LENGTH,
          errorMessage: {
            type: "must be a string",
            pattern: "must not contain a NUL character or a line break",
            maxLength: atMostCharacters(MAX_ARG_LENGTH),
          },
        }),
        {
          minItems: 1,
          maxItems: MAX_ARGS,
          description: "Run this argv in the container: healthy on exit 0.",
          errorMessage: {
            type: EXEC_MESSAGE,
            minItems: EXEC_MESSAGE,
            maxItems: atMost(MAX_ARGS, "arguments"),
          },
        },
      ),
    ),
    http: Type.Optional(
      closed(
        {
          path: Type.String({
            // No space and no control character: the path goes into an HTTP request line as it is.
            pattern: "^/[^\\s\\u0000-\\u001f\\u007f]*$",
            maxLength: MAX_HTTP_PATH_LENGTH,
            default: "/",
            errorMessage: {
              type: HTTP_PATH_MESSAGE,
              pattern: HTTP_PATH_MESSAGE,
              maxLength: atMostCharacters(MAX_HTTP_PATH_LENGTH),
            },
          }),
          port: PortNumber,
        },
        {
          description: "GET the pod's IP on this port and path: healthy on a 2xx or 3xx answer.",
          errorMessage: { type: "must be an object {path, port}" },
        },
      ),
    ),
    tcp: Type.Optional(
      closed(
        { port: PortNumber },
        {
          description: "Healthy when a TCP connection to this port opens.",
          errorMessage: { type: "must be an object {port}" },
        },
      ),
    ),
    intervalSeconds: seconds(1, 3600, DEFAULT_HEALTH_TIMING.intervalSeconds, "Time between probes."),
    timeoutSeconds: seconds(1, 3600, DEFAULT_HEALTH_TIMING.timeoutSeconds, "A probe slower than this fails."),
    retries: Type.Integer({
      minimum: 1,
      maximum: 100,
      default: DEFAULT_HEALTH_TIMING.retries,
      description: "Failures in a row that make the pod unhealthy.",
    }),
    startPeriodSeconds: seconds(
      0,
      3600,
      DEFAULT_HEALTH_TIMING.startPeriodSeconds,
      "Failures this soon after the start do not count.",
    ),
  },
  {
    title: "HealthCheck",
    description:
      "How a container's health is probed: exactly one of `exec` (healthy on exit 0), `http` (healthy on a " +
      "2xx/3xx answer to GET on the pod's IP) or `tcp` (healthy when a connection opens). Failures within " +
      "`startPeriodSeconds` of the start do not count; `retries` consecutive failures make the pod unhealthy, " +
      "and an unhealthy pod is not ready (DNS leaves it out) and is restarted.",
    oneOf: [{ required: ["exec"] }, { required: ["http"] }, { required: ["tcp"] }],
    errorMessage: {
      type: "must be an object with one of exec, http or tcp",
      oneOf: "must have exactly one of exec, http or tcp",
    },
  },
);

const OPERATORS = ["==", "!=", "in", "notin", "exists", "notexists"] as const;

export const Constraint = checked(
  closed(
    {
      label: Type.String({
        minLength: 1,
        maxLength: MAX_LABEL_KEY_LENGTH,
        description: "A node label key (label key syntax).",
        errorMessage: {
          type: "is required",
          minLength: "is required",
          maxLength: atMostCharacters(MAX_LABEL_KEY_LENGTH),
        },
      }),
      operator: Type.Enum(OPERATORS, { default: "==" }),
      value: Type.Optional(
        Type.String({
          pattern: LABEL_VALUE,
          description: "With `==` and `!=`: a label value.",
          errorMessage: LABEL_VALUE_MESSAGE,
        }),
      ),
      values: Type.Optional(
        Type.Array(Type.String({ pattern: LABEL_VALUE, errorMessage: LABEL_VALUE_MESSAGE }), {
          maxItems: MAX_CONSTRAINT_VALUES,
          description: "With `in` and `notin`: not empty, label values.",
          errorMessage: {
            type: "must be a non-empty array of strings",
            maxItems: atMost(MAX_CONSTRAINT_VALUES, "values"),
          },
        }),
      ),
    },
    {
      title: "Constraint",
      description:
        "A rule on node labels: `==`/`!=` compare with `value`; `in`/`notin` with `values`; `exists`/`notexists` take neither.",
      errorMessage: { type: "must be an object {label, operator, value?, values?}" },
    },
  ),
  checkConstraint,
);

export const Placement = closed(
  {
    constraints: Type.Optional(
      Type.Array(Constraint, {
        maxItems: MAX_CONSTRAINTS,
        description: "Every one must hold on a node for a pod to go there.",
        errorMessage: { type: "must be an array", maxItems: atMost(MAX_CONSTRAINTS, "constraints") },
      }),
    ),
    strategy: Type.Optional(
      Type.Enum(["spread", "binpack"], {
        description: "Rank nodes by spreading the deployment's pods (default) or by packing them tightly.",
      }),
    ),
  },
  {
    title: "Placement",
    description: "Where pods may go (`constraints`) and how nodes are ranked.",
    errorMessage: { type: "must be an object {constraints?, strategy?}" },
  },
);

export const RestartPolicy = checked(
  closed(
    {
      backoffInitialSeconds: seconds(0, 3600, DEFAULT_RESTART_POLICY.backoffInitialSeconds, "First backoff."),
      backoffMaxSeconds: seconds(0, 86400, DEFAULT_RESTART_POLICY.backoffMaxSeconds, "Longest backoff."),
      resetAfterSeconds: seconds(
        1,
        86400,
        DEFAULT_RESTART_POLICY.resetAfterSeconds,
        "Running this long forgets the crashes.",
      ),
      limit: Type.Integer({
        minimum: 1,
        maximum: 1000,
        default: DEFAULT_RESTART_POLICY.limit,
        description: "Crashes in a row on one node before the pod is rescheduled to another.",
      }),
    },
    {
      title: "RestartPolicy",
      description:
        "Crash handling on a node: restart with a backoff of `backoffInitialSeconds` doubling up to " +
        "`backoffMaxSeconds`, forgotten after `resetAfterSeconds` of running; after `limit` crashes in a row the " +
        "pod is rescheduled to another node.",
      errorMessage: { type: "must be an object" },
    },
  ),
  checkRestartPolicy,
);

/** A count of pods or a percentage of replicas, "0%" to "100%" (leading zeros allowed). */
const Budget = (description: string) =>
  Type.Union(
    [
      Type.Integer({ minimum: 0, maximum: 1000 }),
      Type.String({ pattern: "^(?:0{0,2}[0-9]|0?[1-9][0-9]|100)%$" }),
    ],
    {
      description,
      errorMessage: 'must be a count from 0 to 1000 or a percentage such as "25%"',
    },
  );

/** What a deployment says of its rollouts; a field left out takes DEFAULT_STRATEGY's value when it rolls. */
export const RolloutStrategy = checked(
  closed(
    {
      maxSurge: Type.Optional(
        Budget(`Pods above replicas during a rollout (default ${DEFAULT_STRATEGY.maxSurge}, rounded up).`),
      ),
      maxUnavailable: Type.Optional(
        Budget(
          `Available pods below replicas during a rollout (default ${DEFAULT_STRATEGY.maxUnavailable}, rounded down).`,
        ),
      ),
      minReadySeconds: Type.Optional(
        seconds(0, 3600, undefined, "A new pod counts as available once ready this long (default 0)."),
      ),
      progressDeadlineSeconds: Type.Optional(
        seconds(
          1,
          86400,
          undefined,
          `A rollout that makes no progress this long fails (default ${DEFAULT_STRATEGY.progressDeadlineSeconds}).`,
        ),
      ),
      autoRollback: Type.Optional(
        Type.Boolean({ description: "A failed rollout returns to the last good revision (default true)." }),
      ),
    },
    {
      title: "RolloutStrategy",
      description:
        "How a new revision replaces the old one; not part of the revision hash. A rollout that makes no " +
        "progress for `progressDeadlineSeconds` fails, and with `autoRollback` returns to the last good revision.",
      errorMessage: { type: "must be an object" },
    },
  ),
  checkStrategy,
);

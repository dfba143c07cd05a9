// Schemas of a deployment: what a user sends (DeploymentSpec, PUT /deployments), the pod template it
// carries, and what the API serves back (Deployment, DeploymentWithStatus).
import Type from "typebox";
import { checkImageReference, IMAGE_EXAMPLE } from "../image-reference.js";
import {
  MAX_ARG_LENGTH,
  MAX_ARGS,
  MAX_ENV_NAME_LENGTH,
  MAX_ENV_VALUE_LENGTH,
  MAX_ENV_VARS,
  MAX_IMAGE_LENGTH,
  MAX_LABEL_KEY_LENGTH,
  MAX_LABELS,
  MAX_PORTS,
  MAX_REPLICAS,
} from "../limits.js";
import { checkMountPaths } from "../mount-rules.js";
import { checkCommand, checkLabelKeys, checkSpecSize, checkUniquePorts } from "../spec-rules.js";
import {
  atMost,
  atMostCharacters,
  Count,
  checked,
  closed,
  LABEL_VALUE,
  LABEL_VALUE_MESSAGE,
  NO_NUL,
  named,
  stringMap,
  Text,
  timestamp,
} from "./common.js";
import { ConfigRefs, SecretRefs, Volumes } from "./mounts.js";
import { RolloutState } from "./rollout.js";
import { HealthCheck, Placement, PortNumber, RestartPolicy, RolloutStrategy } from "./workload.js";

export { MAX_REPLICAS } from "../limits.js";

/** A deployment name: a DNS label, so that `<name>.cluster.local` resolves and it is a safe store key. */
export const DeploymentName = Type.String({
  pattern: "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$",
  description: "A DNS label: 1 to 63 of a-z, 0-9 and '-', not starting or ending with '-'.",
  errorMessage:
    "must be a DNS label: 1 to 63 characters of a-z, 0-9 and '-', not starting or ending with '-'",
});

const IMAGE_MESSAGE = `must be a Docker image reference (${IMAGE_EXAMPLE})`;

export const ImageReference = checked(
  Type.String({
    minLength: 1,
    maxLength: MAX_IMAGE_LENGTH,
    description:
      "A Docker image reference: [registry[:port]/]path[:tag][@sha256:digest], the path in lowercase.",
    errorMessage: {
      type: IMAGE_MESSAGE,
      minLength: IMAGE_MESSAGE,
      maxLength: atMostCharacters(MAX_IMAGE_LENGTH),
    },
  }),
  checkImageReference,
);

const NoNulString = (type: string, maxLength: number) =>
  Type.String({
    pattern: NO_NUL,
    maxLength,
    errorMessage: {
      type,
      pattern: "must not contain a NUL character",
      maxLength: atMostCharacters(maxLength),
    },
  });

export const Command = checked(
  Type.Array(NoNulString("must be a string", MAX_ARG_LENGTH), {
    minItems: 1,
    maxItems: MAX_ARGS,
    description: 'The argv to run, never a shell string: ["sh", "-c", "..."] to use a shell.',
    errorMessage: {
      type: "must be a non-empty array of strings",
      string: 'must be an array of arguments, not a shell string: write ["sh", "-c", "..."] to use a shell',
      minItems: "must be a non-empty array of strings",
      maxItems: atMost(MAX_ARGS, "arguments"),
    },
  }),
  checkCommand,
);

export const EnvVars = stringMap(
  NoNulString("must be a string (quote numbers and booleans)", MAX_ENV_VALUE_LENGTH),
  {
    // `__proto__` would be taken for the object's prototype by any code that copies the map by assignment.
    keys: Type.String({
      pattern: "^(?!__proto__$)[A-Za-z_][A-Za-z0-9_]*$",
      maxLength: MAX_ENV_NAME_LENGTH,
      errorMessage: {
        pattern:
          "is not a valid environment variable name: letters, digits and '_', not starting with a digit, and not __proto__",
        maxLength: atMostCharacters(MAX_ENV_NAME_LENGTH),
      },
    }),
    maxProperties: MAX_ENV_VARS,
    description: "Environment variables of the container.",
    errorMessage: {
      type: "must be an object mapping variable names to string values",
      maxProperties: atMost(MAX_ENV_VARS, "variables"),
    },
  },
);

export const PortSpec = closed(
  {
    name: Type.Optional(
      Type.String({
        pattern: "^(?=.*[a-z])[a-z0-9]([a-z0-9]|-(?=[a-z0-9])){0,14}$",
        description: "An IANA service name, for SRV records: unique in the deployment.",
        errorMessage:
          "must be 1 to 15 of a-z, 0-9 and '-' with at least one letter, no leading, trailing or double '-'",
      }),
    ),
    containerPort: PortNumber,
    protocol: Type.Enum(["tcp", "udp"], { default: "tcp" }),
    publishedPort: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 65535,
        description:
          "Published on every node's addresses: a connection to this port reaches a ready pod of the " +
          "deployment (one on the same node when there is one). Unique across the cluster per protocol; " +
          "not one of Orchestra's own ports.",
      }),
    ),
  },
  {
    title: "PortSpec",
    description:
      "A port a container listens on; a named port gets a DNS SRV record; a port with `publishedPort` is " +
      "reachable from outside on every node.",
    errorMessage: { type: "must be an object {name?, containerPort, protocol?, publishedPort?}" },
  },
);

export const Ports = checked(
  Type.Array(PortSpec, {
    maxItems: MAX_PORTS,
    description: "Unique by containerPort/protocol, by name and by publishedPort/protocol.",
    errorMessage: {
      type: "must be an array of {name?, containerPort, protocol?, publishedPort?}",
      maxItems: atMost(MAX_PORTS, "ports"),
    },
  }),
  checkUniquePorts,
);

export { LABEL_VALUE, LABEL_VALUE_MESSAGE } from "./common.js";

/** A label key's length (its syntax is a rule: checkLabelKeys). */
export const LabelKey = Type.String({
  maxLength: MAX_LABEL_KEY_LENGTH,
  errorMessage: atMostCharacters(MAX_LABEL_KEY_LENGTH),
});

export const Labels = checked(
  stringMap(Type.String({ pattern: LABEL_VALUE, errorMessage: LABEL_VALUE_MESSAGE }), {
    keys: LabelKey,
    maxProperties: MAX_LABELS,
    description:
      "Kubernetes label syntax: keys [prefix/]name (prefix a DNS subdomain, name at most 63 characters).",
    errorMessage: {
      type: "must be an object mapping label keys to string values",
      maxProperties: atMost(MAX_LABELS, "labels"),
    },
  }),
  checkLabelKeys,
);

/** A positive integer, as large as JSON numbers stay exact. */
const positive = (description: string, errorMessage: string) =>
  Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description, errorMessage });

export const Resources = closed(
  {
    cpu: Type.Optional(
      positive("Millicores: 1000 is one core.", "must be a positive integer of millicores (1000 = one core)"),
    ),
    memory: Type.Optional(positive("Bytes.", "must be a positive integer of bytes")),
  },
  {
    title: "Resources",
    description: "Docker limits, counted by the scheduler against a node's capacity.",
    errorMessage: { type: "must be an object {cpu?, memory?}" },
  },
);

const templateFields = {
  image: ImageReference,
  command: Type.Optional(Command),
  env: Type.Optional(EnvVars),
  ports: Type.Optional(Ports),
  labels: Type.Optional(Labels),
  resources: Type.Optional(Resources),
  healthCheck: Type.Optional(HealthCheck),
  placement: Type.Optional(Placement),
  restartPolicy: Type.Optional(RestartPolicy),
  volumes: Type.Optional(Volumes),
  configs: Type.Optional(ConfigRefs),
  secrets: Type.Optional(SecretRefs),
};

const { image: _image, ...otherTemplateFields } = templateFields;

/** Everything about a pod that a rollout replaces: a change here yields a new revision hash. */
export const PodTemplate = closed(templateFields, {
  title: "PodTemplate",
  description:
    "Everything about a pod that a rollout replaces: a deployment's spec without name, replicas and strategy.",
});

/** What a user sends: `PUT /deployments` and `orchestra apply` take this shape. Fields in the order checked. */
export const DeploymentSpec = named(
  checked(
    closed(
      {
        name: DeploymentName,
        image: templateFields.image,
        replicas: Type.Integer({
          minimum: 0,
          maximum: MAX_REPLICAS,
          default: 1,
          description: "Pods to run.",
        }),
        ...otherTemplateFields,
        strategy: Type.Optional(RolloutStrategy),
      },
      {
        title: "DeploymentSpec",
        description: "A deployment as a user writes it. Unknown fields are refused.",
        errorMessage: { type: "must be an object with at least name and image" },
      },
    ),
    // The whole spec bounded as JSON; across volumes, configs and secrets, every mount at a path of its own.
    (spec: Parameters<typeof checkMountPaths>[0], field: string) => {
      checkSpecSize(spec, field);
      checkMountPaths(spec);
    },
  ),
  "deployment",
);

/** A deployment as stored: the spec plus what Orchestra tracks about it. */
export const Deployment = closed(
  {
    ...DeploymentSpec.properties,
    hash: Type.String({ pattern: "^[0-9a-f]{10}$", description: "Revision hash of the pod template." }),
    generation: Type.Integer({ minimum: 1, description: "1 on create, +1 on every change of the spec." }),
    createdAt: timestamp(),
    updatedAt: timestamp(),
  },
  {
    title: "Deployment",
    description: "A deployment as stored: its spec and what Orchestra tracks about it.",
  },
);

/** Counts computed from the deployment's pods when it is read. */
export const DeploymentStatus = closed(
  {
    replicas: Type.Integer({ description: "Desired." }),
    readyReplicas: Type.Integer({ description: "Ready pods: running and, with a health check, healthy." }),
    updatedReplicas: Type.Integer({ description: "Pods of the current revision hash." }),
    availableReplicas: Type.Integer({ description: "Ready pods of the current revision." }),
    rollout: Type.Optional(
      closed(
        { revision: Count, state: RolloutState, message: Text },
        { description: "The latest rollout as the controller last recorded it (see GET .../rollout)." },
      ),
    ),
  },
  { title: "DeploymentStatus", description: "Counts computed from the deployment's pods when it is read." },
);

export const DeploymentWithStatus = closed(
  { ...Deployment.properties, status: DeploymentStatus },
  { title: "DeploymentWithStatus", description: "A stored deployment with counts from its pods." },
);

export const DeploymentNameParams = closed({ name: DeploymentName });

export const IF_MATCH_MESSAGE =
  'must be a generation number (e.g. 3 or "3"), 0 for "must not exist", or * for "must exist"';

/** The If-Match precondition of PUT and DELETE, in terms of a deployment's generation. */
export const IfMatchHeaders = Type.Object({
  "if-match": Type.Optional(
    Type.String({
      pattern: '^\\s*(\\*|[0-9]{1,15}|"[0-9]{1,15}")\\s*$',
      description:
        'Precondition on the generation: `3` (or `"3"`) the deployment must be at generation 3; `*` it must exist; `0` it must not exist. 409 otherwise.',
      errorMessage: IF_MATCH_MESSAGE,
    }),
  ),
});

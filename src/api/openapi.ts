// The API's OpenAPI 3.1 document, served at /openapi.json: every route, its errors and the object schemas.
// The schemas mirror src/core/validation.ts for clients; the server's own checks are that file's.

const errorBody = {
  type: "object",
  required: ["error", "message"],
  properties: {
    error: {
      type: "string",
      enum: [
        "BadRequest",
        "Unauthorized",
        "NotFound",
        "Conflict",
        "PayloadTooLarge",
        "UnsupportedMediaType",
        "Unavailable",
        "Internal",
        "TooManyRequests",
      ],
    },
    message: {
      type: "string",
      description: "Readable; starts with the offending field, e.g. `replicas: ...`.",
    },
    field: {
      type: "string",
      description: "The offending field, for a validation error (e.g. `ports[1].containerPort`).",
    },
  },
} as const;

export const portSpecSchema = {
  type: "object",
  additionalProperties: false,
  required: ["containerPort"],
  properties: {
    name: {
      type: "string",
      description: "IANA service name: 1-15 of a-z, 0-9, '-', at least one letter; unique in the deployment.",
      pattern: "^(?=.*[a-z])[a-z0-9]([a-z0-9]|-(?=[a-z0-9])){0,14}$",
    },
    containerPort: { type: "integer", minimum: 1, maximum: 65535 },
    protocol: { type: "string", enum: ["tcp", "udp"], default: "tcp" },
  },
} as const;

export const resourcesSchema = {
  type: "object",
  additionalProperties: false,
  properties: {
    cpu: { type: "integer", minimum: 1, description: "Millicores: 1000 is one core." },
    memory: { type: "integer", minimum: 1, description: "Bytes." },
  },
} as const;

/** The body of PUT /deployments. Unknown fields are rejected. */
export const deploymentSpecSchema = {
  type: "object",
  additionalProperties: false,
  required: ["name", "image"],
  properties: {
    name: {
      type: "string",
      description: "DNS label: 1-63 of a-z, 0-9 and '-', not starting or ending with '-'.",
      pattern: "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$",
    },
    image: {
      type: "string",
      minLength: 1,
      description: "Docker image reference: [registry[:port]/]path[:tag][@sha256:digest], path in lowercase.",
    },
    replicas: { type: "integer", minimum: 0, maximum: 1000, default: 1 },
    command: {
      type: "array",
      minItems: 1,
      items: { type: "string" },
      description: 'The argv to run, never a shell string: ["sh", "-c", "..."] to use a shell.',
    },
    env: {
      type: "object",
      propertyNames: { pattern: "^[A-Za-z_][A-Za-z0-9_]*$" },
      additionalProperties: { type: "string" },
    },
    ports: {
      type: "array",
      items: portSpecSchema,
      description: "Unique by containerPort/protocol and by name.",
    },
    labels: {
      type: "object",
      description: "Kubernetes label syntax: key [prefix/]name, value at most 63 characters.",
      additionalProperties: { type: "string", maxLength: 63 },
    },
    resources: resourcesSchema,
  },
} as const;

const deploymentSchema = {
  allOf: [
    { $ref: "#/components/schemas/DeploymentSpec" },
    {
      type: "object",
      required: ["name", "image", "replicas", "hash", "generation", "createdAt", "updatedAt"],
      properties: {
        hash: {
          type: "string",
          pattern: "^[0-9a-f]{10}$",
          description: "Revision hash of the pod template.",
        },
        generation: {
          type: "integer",
          minimum: 1,
          description: "1 on create, +1 on every change of the spec.",
        },
        createdAt: { type: "string", format: "date-time" },
        updatedAt: { type: "string", format: "date-time" },
      },
    },
  ],
} as const;

const deploymentStatusSchema = {
  type: "object",
  required: ["replicas", "readyReplicas", "updatedReplicas", "availableReplicas"],
  properties: {
    replicas: { type: "integer", description: "Desired." },
    readyReplicas: { type: "integer", description: "Pods in phase Running." },
    updatedReplicas: { type: "integer", description: "Pods of the current revision hash." },
    availableReplicas: { type: "integer", description: "Running and of the current revision." },
  },
} as const;

const podSchema = {
  type: "object",
  required: ["id", "name", "deployment", "hash", "template", "status", "createdAt", "updatedAt"],
  properties: {
    id: { type: "string" },
    name: { type: "string" },
    deployment: { type: "string" },
    hash: { type: "string" },
    template: { type: "object", description: "The deployment's spec without name and replicas." },
    node: { type: "string", description: "Absent while unscheduled." },
    status: {
      type: "object",
      required: ["phase", "restarts"],
      properties: {
        phase: { type: "string", enum: ["Pending", "Starting", "Running", "Failed", "Succeeded", "Unknown"] },
        message: { type: "string" },
        containerId: { type: "string" },
        ip: { type: "string" },
        restarts: { type: "integer" },
        startedAt: { type: "string", format: "date-time" },
      },
    },
    createdAt: { type: "string", format: "date-time" },
    updatedAt: { type: "string", format: "date-time" },
  },
} as const;

const rolloutSchema = {
  type: "object",
  description:
    "The latest rollout as the controller records it; `observed` once it has seen the latest spec.",
  properties: {
    revision: { type: "integer" },
    hash: { type: "string" },
    observedGeneration: { type: "integer" },
    state: { type: "string", enum: ["progressing", "complete", "failed", "rolled-back"] },
    message: { type: "string", description: "Why the state is what it is, e.g. why it was rolled back." },
    replicas: { type: "integer" },
    updatedReplicas: { type: "integer" },
    readyReplicas: { type: "integer" },
    availableReplicas: { type: "integer" },
    totalReplicas: { type: "integer" },
    startedAt: { type: "string", format: "date-time" },
    updatedAt: { type: "string", format: "date-time" },
    progressAt: { type: "string", format: "date-time" },
    observed: { type: "boolean" },
  },
} as const;

const revisionSchema = {
  type: "object",
  required: ["revision", "hash", "template", "createdAt", "cause"],
  properties: {
    revision: { type: "integer" },
    hash: { type: "string" },
    template: {
      type: "object",
      description: "The pod template: a DeploymentSpec without name and replicas.",
    },
    createdAt: { type: "string", format: "date-time" },
    cause: { type: "string" },
    completedAt: { type: "string", format: "date-time", description: "Set once a rollout of it completed." },
  },
} as const;

const nodeSchema = {
  type: "object",
  required: ["name", "address", "labels", "capacity", "schedulable", "registeredAt"],
  properties: {
    name: { type: "string" },
    address: { type: "string" },
    labels: { type: "object", additionalProperties: { type: "string" } },
    capacity: {
      type: "object",
      properties: { cpu: { type: "integer" }, memory: { type: "integer" } },
    },
    podSubnet: {
      type: "string",
      description:
        "The node's /24 of the cluster's pod CIDR: its pods' addresses, routed to it from every node.",
    },
    schedulable: {
      type: "boolean",
      description: "False when the worker registered so or a user cordoned the node.",
    },
    registeredAt: { type: "string", format: "date-time" },
    unschedulable: { type: "boolean", description: "Cordoned by a user (PUT /nodes/{name}/cordon)." },
    ready: {
      type: "boolean",
      description: "The worker is registered; false for a configured node whose worker is gone.",
    },
    pods: { type: "integer", description: "Pods bound to the node." },
    allocated: {
      type: "object",
      description: "Sum of the requests of the pods bound to the node: cpu in millicores, memory in bytes.",
      properties: { cpu: { type: "integer" }, memory: { type: "integer" } },
    },
  },
} as const;

const clusterEventSchema = {
  type: "object",
  required: ["id", "time", "type", "reason", "object", "message", "source"],
  properties: {
    id: { type: "string", description: "Time-ordered: pass the last one seen as `since`." },
    time: { type: "string", format: "date-time" },
    type: { type: "string", enum: ["Normal", "Warning"] },
    reason: { type: "string", description: "Scheduled, FailedScheduling, Cordoned, Evicted, ..." },
    object: { type: "string", description: "`pod/web-x5w4w`, `node/n1`, `deployment/web`." },
    deployment: { type: "string" },
    message: { type: "string" },
    source: { type: "string", description: "scheduler, controller, worker/<node>, api." },
  },
} as const;

const nodeNameParam = { name: "name", in: "path", required: true, schema: { type: "string" } };

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: unknown, description: string) => ({
  description,
  content: { "application/json": { schema } },
});
const error = (description: string) => json(ref("Error"), description);
const arrayOf = (name: string) => ({ type: "array", items: ref(name) });

const nameParam = {
  name: "name",
  in: "path",
  required: true,
  schema: { type: "string", pattern: deploymentSpecSchema.properties.name.pattern },
};
const ifMatch = {
  name: "If-Match",
  in: "header",
  required: false,
  description:
    'Precondition on the generation: `3` (or `"3"`) the deployment must be at generation 3; `*` it must exist; `0` it must not exist. 409 otherwise.',
  schema: { type: "string" },
};
const common = {
  "401": error("Missing or wrong bearer token (only when the server has a token)."),
  "503": error("The store is unreachable or did not answer in time."),
};

export const openApiDocument = {
  openapi: "3.1.0",
  info: {
    title: "Orchestra API",
    version: "1",
    description: "Deployments, pods and nodes of an Orchestra cluster. Errors are JSON {error, message}.",
  },
  security: [{ bearer: [] }],
  paths: {
    "/deployments": {
      get: {
        summary: "List deployments with their status",
        responses: {
          "200": json(arrayOf("DeploymentWithStatus"), "All deployments, sorted by name."),
          ...common,
        },
      },
      put: {
        summary: "Create or update a deployment",
        description:
          "Creates the deployment (201) or updates it (200). A PUT identical to the stored spec changes nothing: generation and updatedAt stay.",
        parameters: [ifMatch],
        requestBody: { required: true, content: { "application/json": { schema: ref("DeploymentSpec") } } },
        responses: {
          "200": json(ref("Deployment"), "Updated, or unchanged."),
          "201": json(ref("Deployment"), "Created."),
          "400": error("Invalid body or If-Match; the message names the field."),
          "409": error("The If-Match precondition failed, or the write kept losing races."),
          "413": error("Body over the limit (1 MiB by default)."),
          "415": error("Content-Type is not application/json."),
          ...common,
        },
      },
    },
    "/deployments/{name}": {
      parameters: [nameParam],
      get: {
        summary: "Read one deployment with its status",
        responses: {
          "200": json(ref("DeploymentWithStatus"), "The deployment."),
          "400": error("The name is not a DNS label."),
          "404": error("No such deployment."),
          ...common,
        },
      },
      delete: {
        summary: "Delete a deployment (the controller then removes its pods)",
        parameters: [ifMatch],
        responses: {
          "200": json(ref("Deployment"), "The deleted deployment."),
          "400": error("The name is not a DNS label, or If-Match is malformed."),
          "404": error("No such deployment (whatever If-Match says)."),
          "409": error("The If-Match precondition failed."),
          ...common,
        },
      },
    },
    "/deployments/{name}/rollout": {
      parameters: [nameParam],
      get: {
        summary: "The deployment's latest rollout: state, counts, and why it failed or was rolled back",
        responses: {
          "200": json(ref("Rollout"), "The rollout."),
          "404": error("No such deployment."),
          ...common,
        },
      },
    },
    "/deployments/{name}/history": {
      parameters: [nameParam],
      get: {
        summary: "The deployment's revisions, oldest first",
        responses: {
          "200": json(arrayOf("Revision"), "Revisions."),
          "404": error("No such deployment."),
          ...common,
        },
      },
    },
    "/deployments/{name}/rollback": {
      parameters: [nameParam],
      post: {
        summary: "Go back to the previous revision's pod template, or to `toRevision`",
        requestBody: {
          required: false,
          content: {
            "application/json": {
              schema: { type: "object", properties: { toRevision: { type: "integer", minimum: 1 } } },
            },
          },
        },
        responses: {
          "200": json(
            {
              type: "object",
              properties: { deployment: ref("Deployment"), toRevision: { type: "integer" } },
            },
            "The deployment as written; the controller rolls it out.",
          ),
          "400": error("toRevision is not a revision number."),
          "404": error("No such deployment, or no such revision."),
          "409": error("No earlier revision, or the deployment already has that template."),
          ...common,
        },
      },
    },
    "/pods": {
      get: {
        summary: "List pods",
        parameters: [
          { name: "deployment", in: "query", required: false, schema: { type: "string" } },
          { name: "node", in: "query", required: false, schema: { type: "string" } },
        ],
        responses: {
          "200": json(arrayOf("Pod"), "Pods, filtered by deployment and/or node when asked."),
          "400": error("Unknown or repeated query parameter."),
          ...common,
        },
      },
    },
    "/nodes": {
      get: {
        summary: "List nodes",
        responses: {
          "200": json(
            arrayOf("Node"),
            "Registered nodes with user settings (cordon, labels) applied, pods and allocation; configured nodes whose worker is gone, as not ready.",
          ),
          ...common,
        },
      },
    },
    "/nodes/{name}": {
      delete: {
        summary: "Remove a node whose worker is gone: its settings, and its pod subnet for the next new node",
        parameters: [nodeNameParam],
        responses: {
          "200": json(
            { type: "object", properties: { name: { type: "string" }, podSubnet: { type: "string" } } },
            "The node is gone; `podSubnet` is the subnet released, if it held one.",
          ),
          "404": error("No such node."),
          "409": error("The node is registered: its worker still runs."),
          ...common,
        },
      },
    },
    "/nodes/{name}/cordon": {
      put: {
        summary: "Cordon a node: no new pods go there (kept across worker restarts)",
        parameters: [nodeNameParam],
        responses: {
          "200": json(
            { type: "object", properties: { changed: { type: "boolean" }, node: ref("Node") } },
            "`changed` is false when the node already was cordoned.",
          ),
          "404": error("No such node."),
          ...common,
        },
      },
    },
    "/nodes/{name}/uncordon": {
      put: {
        summary: "Uncordon a node",
        parameters: [nodeNameParam],
        responses: {
          "200": json(
            { type: "object", properties: { changed: { type: "boolean" }, node: ref("Node") } },
            "`changed` is false when the node was not cordoned.",
          ),
          "404": error("No such node."),
          ...common,
        },
      },
    },
    "/nodes/{name}/labels": {
      patch: {
        summary: "Set (string) or remove (null) node labels, on top of the worker's --label ones",
        parameters: [nodeNameParam],
        requestBody: {
          required: true,
          content: {
            "application/json": {
              schema: {
                type: "object",
                required: ["labels"],
                properties: {
                  labels: { type: "object", additionalProperties: { type: ["string", "null"] } },
                },
              },
            },
          },
        },
        responses: {
          "200": json(ref("Node"), "The node with its labels."),
          "400": error("A malformed label key or value."),
          "404": error("No such node."),
          ...common,
        },
      },
    },
    "/pods/{id}/eviction": {
      post: {
        summary: "Evict a pod (delete it; its deployment replaces it), as drains do",
        parameters: [{ name: "id", in: "path", required: true, schema: { type: "string" } }],
        responses: {
          "200": json(
            {
              type: "object",
              properties: { id: { type: "string" }, name: { type: "string" }, node: { type: "string" } },
            },
            "Evicted.",
          ),
          "404": error("No such pod."),
          "429": error(
            "Not now: the deployment would drop below replicas - maxUnavailable ready pods (a percentage rounded up, as for Kubernetes' disruption budgets). Retry after the Retry-After seconds.",
          ),
          ...common,
        },
      },
    },
    "/events": {
      get: {
        summary: "Cluster events, oldest first (bounded in number)",
        parameters: [
          {
            name: "name",
            in: "query",
            required: false,
            description:
              "Only events about this object (`web-x5w4w`, `node/n1`) or any object of this deployment.",
            schema: { type: "string" },
          },
          {
            name: "since",
            in: "query",
            required: false,
            description: "Only events after the one with this id (for polling).",
            schema: { type: "string" },
          },
          {
            name: "limit",
            in: "query",
            required: false,
            description: "At most this many (the newest), 1-1000; default 500.",
            schema: { type: "integer", minimum: 1, maximum: 1000 },
          },
        ],
        responses: {
          "200": json(arrayOf("ClusterEvent"), "Events."),
          "400": error("Unknown or repeated query parameter, or a bad limit."),
          ...common,
        },
      },
    },
    "/healthz": {
      get: {
        summary: "Health: whether the store answers (no token needed)",
        security: [],
        responses: {
          "200": json({ type: "object", properties: { status: { const: "ok" } } }, "The store answers."),
          "503": error("The store does not answer."),
        },
      },
    },
    "/openapi.json": {
      get: {
        summary: "This document",
        responses: { "200": json({ type: "object" }, "OpenAPI 3.1."), ...common },
      },
    },
  },
  components: {
    securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
    schemas: {
      DeploymentSpec: deploymentSpecSchema,
      PortSpec: portSpecSchema,
      Resources: resourcesSchema,
      Deployment: deploymentSchema,
      DeploymentStatus: deploymentStatusSchema,
      DeploymentWithStatus: {
        allOf: [
          ref("Deployment"),
          { type: "object", required: ["status"], properties: { status: ref("DeploymentStatus") } },
        ],
      },
      Pod: podSchema,
      Node: nodeSchema,
      ClusterEvent: clusterEventSchema,
      Rollout: rolloutSchema,
      Revision: revisionSchema,
      Error: errorBody,
    },
  },
} as const;

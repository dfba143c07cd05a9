// The published contract, checked rather than trusted: /openapi.json passes a standard OpenAPI validator,
// a client that validates with it accepts a deployment using every field and refuses an unknown one as the
// server does, and stored objects with every field come back whole and as the document describes them.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import SwaggerParser from "@apidevtools/swagger-parser";
import type { TSchema } from "typebox";
import { type RunningApiServer, startApiServer } from "../src/cmd/api.js";
import { podTemplateOf, revisionHash } from "../src/core/revision.js";
import {
  Config as ConfigSchema,
  ReencryptResult as ReencryptResultSchema,
} from "../src/core/schemas/config-secret.js";
import { DeploymentSpec as DeploymentSpecSchema } from "../src/core/schemas/deployment.js";
import { ClusterEvent as ClusterEventSchema } from "../src/core/schemas/event.js";
import { Revision as RevisionSchema } from "../src/core/schemas/history.js";
import { NodeInfo as NodeInfoSchema } from "../src/core/schemas/node.js";
import { Pod as PodSchema } from "../src/core/schemas/pod.js";
import { RolloutStatus as RolloutStatusSchema } from "../src/core/schemas/rollout.js";
import { VolumeReport as VolumeReportSchema } from "../src/core/schemas/volume.js";
import type {
  ClusterEvent,
  DeploymentSpec,
  NodeInfo,
  Pod,
  Revision,
  RolloutStatus,
  VolumeReport,
} from "../src/core/types.js";
import { SecretKeyRing } from "../src/secrets/secret-key-ring.js";
import { EmbeddedBackend } from "../src/store/embedded/embedded-backend.js";
import { keys } from "../src/store/keys.js";
import type { Store } from "../src/store/store.js";
import { savePod } from "../src/store/testing/pod-test-support.js";
import { apiDocument, assertAnswerMatchesContract, clientAjv, validatorAt } from "./support/api-contract.js";

const at = "2025-01-02T03:04:05.000Z";

/** A deployment that sets every field of the spec (the health probe kinds and constraint forms below). */
const everyField: DeploymentSpec = {
  name: "full",
  image: "registry.local:5000/team/app:v1",
  replicas: 2,
  command: ["sh", "-c", "exec httpd -f -p 8080"],
  env: { GREETING: "hello", EMPTY: "" },
  ports: [
    { name: "http", containerPort: 8080, protocol: "tcp" },
    { name: "dns", containerPort: 53, protocol: "udp" },
    { containerPort: 9090, protocol: "tcp", publishedPort: 30090 },
  ],
  labels: { tier: "frontend", "example.com/team": "a" },
  resources: { cpu: 250, memory: 64 * 2 ** 20 },
  healthCheck: {
    http: { path: "/healthz", port: 8080 },
    intervalSeconds: 5,
    timeoutSeconds: 2,
    retries: 3,
    startPeriodSeconds: 1,
  },
  placement: {
    strategy: "binpack",
    constraints: [
      { label: "region", operator: "!=", value: "west" },
      { label: "arch", operator: "notin", values: ["arm64"] },
      { label: "spot", operator: "exists" },
    ],
  },
  restartPolicy: { backoffInitialSeconds: 1, backoffMaxSeconds: 300, resetAfterSeconds: 600, limit: 5 },
  volumes: [
    { name: "data", mountPath: "/var/lib/app", readOnly: false },
    { name: "scratch", mountPath: "/tmp", tmpfs: { sizeBytes: 2 ** 20 } },
    { name: "shared", mountPath: "/srv/shared", hostPath: "/srv/shared", readOnly: true },
  ],
  configs: [{ name: "app-config", mountPath: "/etc/app", env: true, version: 1 }],
  secrets: [{ name: "db-password", mountPath: "/run/secrets/db", version: 1 }],
  strategy: {
    maxSurge: "25%",
    maxUnavailable: 1,
    minReadySeconds: 2,
    progressDeadlineSeconds: 120,
    autoRollback: false,
  },
};
/** The other health probe kinds: a health check has exactly one. */
const probes = [
  { ...everyField, healthCheck: { ...everyField.healthCheck, http: undefined, exec: ["true"] } },
  { ...everyField, healthCheck: { ...everyField.healthCheck, http: undefined, tcp: { port: 8080 } } },
].map((spec) => JSON.parse(JSON.stringify(spec)) as DeploymentSpec);

const hash = revisionHash(podTemplateOf(everyField));

const pod: Pod = {
  id: "p-full",
  name: "full-abcde",
  deployment: "full",
  hash,
  template: podTemplateOf(everyField),
  node: "n-full",
  avoidNodes: ["n-old"],
  terminatingSince: at,
  status: {
    phase: "Running",
    ready: true,
    health: "healthy",
    readySince: at,
    message: "started",
    reason: "Started",
    containerId: "c0ffee",
    ip: "10.42.0.7",
    restarts: 1,
    startedAt: at,
  },
  createdAt: at,
  updatedAt: at,
};

const node: NodeInfo = {
  name: "n-full",
  address: "127.0.0.1",
  labels: { zone: "east" },
  capacity: { cpu: 2000, memory: 2 ** 31 },
  podSubnet: "10.42.0.0/24",
  endpoint: "https://10.0.0.2:10250",
  endpointCertificate: "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n",
  schedulable: true,
  registeredAt: at,
  stoppingAt: at,
};

/** Half-way through: one new pod available, an old one still serving. */
const rollout: RolloutStatus = {
  revision: 3,
  hash,
  observedGeneration: 1,
  state: "progressing",
  message: "1 of 2 new pods available",
  replicas: 2,
  updatedReplicas: 1,
  readyReplicas: 2,
  availableReplicas: 1,
  totalReplicas: 3,
  startedAt: at,
  updatedAt: at,
  progressAt: at,
};

const revision: Revision = {
  revision: 1,
  hash,
  template: podTemplateOf(everyField),
  createdAt: at,
  cause: "created",
  completedAt: at,
};

const event: ClusterEvent = {
  id: "0000000001-full",
  time: at,
  type: "Warning",
  reason: "Unhealthy",
  object: "pod/full-abcde",
  deployment: "full",
  message: "health check failed",
  count: 3,
  firstTime: at,
  source: "worker/n-full",
};

const volume: VolumeReport = {
  name: "orchestra-full-data",
  node: "n-full",
  deployment: "full",
  volume: "data",
  sizeBytes: 4096,
  inUse: true,
  purge: true,
  createdAt: at,
  updatedAt: at,
};

/** The data of the config and secret `everyField` uses (base64). */
const configData = { "app.conf": Buffer.from("level = debug\n").toString("base64") };
const secretData = { password: Buffer.from("s3cret").toString("base64") };

// biome-ignore lint/suspicious/noExplicitAny: schemas are walked as plain JSON.
type Node = Record<string, any>;

/** The properties of `schema` (at any depth) that none of `values` sets: a fixture above is missing a field. */
function unset(schema: Node, values: unknown[], path: string): string[] {
  const present = values.filter((value) => value !== undefined && value !== null);
  if (schema.properties) {
    const objects = present.filter((value) => typeof value === "object") as Record<string, unknown>[];
    return Object.entries<Node>(schema.properties).flatMap(([key, child]) => {
      const children = objects.map((value) => value[key]).filter((value) => value !== undefined);
      return children.length === 0 ? [`${path}.${key}`] : unset(child, children, `${path}.${key}`);
    });
  }
  if (schema.items) return unset(schema.items, present.flat(), `${path}[]`);
  if (typeof schema.additionalProperties === "object") {
    const entries = present.flatMap((value) => Object.values(value as object));
    return unset(schema.additionalProperties, entries, `${path}{}`);
  }
  return [];
}

function assertSetsEveryField(schema: TSchema, values: unknown[], name: string): void {
  assert.deepEqual(unset(schema as Node, values, name), [], `the ${name} fixture leaves fields out`);
}

describe("the API contract", () => {
  let dir: string;
  let backend: EmbeddedBackend;
  let store: Store;
  let server: RunningApiServer;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "orchestra-contract-"));
    backend = EmbeddedBackend.open(dir);
    store = backend.connect();
    server = await startApiServer({ store, port: 0, secretsKey: new SecretKeyRing([randomBytes(32)]) });
  });

  after(async () => {
    await server?.close();
    backend?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function call(method: string, path: string, body?: unknown) {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: body === undefined && method !== "POST" ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    // biome-ignore lint/suspicious/noExplicitAny: bodies are compared field by field.
    const answer = { status: response.status, body: (await response.json()) as any };
    await assertAnswerMatchesContract(method, path, answer.status, answer.body);
    return answer;
  }

  test("/openapi.json is the generated document and a valid OpenAPI 3.1 document", async () => {
    const served = await call("GET", "/openapi.json");
    assert.equal(served.status, 200);
    assert.deepEqual(served.body, await apiDocument());
    // swagger-parser resolves references in place: give it a copy.
    await SwaggerParser.validate(
      structuredClone(served.body) as unknown as Parameters<typeof SwaggerParser.validate>[0],
    );
  });

  test("the fixtures set every field their schemas declare", () => {
    assertSetsEveryField(DeploymentSpecSchema, [everyField, ...probes], "deployment");
    const templates = probes.map(podTemplateOf);
    assertSetsEveryField(PodSchema, [pod, ...templates.map((template) => ({ ...pod, template }))], "pod");
    assertSetsEveryField(NodeInfoSchema, [node], "node");
    assertSetsEveryField(RolloutStatusSchema, [rollout], "rollout");
    assertSetsEveryField(
      RevisionSchema,
      [revision, ...templates.map((template) => ({ ...revision, template }))],
      "revision",
    );
    assertSetsEveryField(ClusterEventSchema, [event], "event");
    assertSetsEveryField(VolumeReportSchema, [volume], "volume");
  });

  test("a client validating with /openapi.json accepts every field and refuses an unknown one, as the server does", async () => {
    const document = (await call("GET", "/openapi.json")).body;
    const validate = validatorAt(clientAjv(document), ["components", "schemas", "DeploymentSpec"]);
    // The config and secret it names must exist.
    assert.equal((await call("PUT", "/configs/app-config", { data: configData })).status, 201);
    assert.equal((await call("PUT", "/secrets/db-password", { data: secretData })).status, 201);
    for (const spec of [everyField, ...probes]) {
      assert.ok(validate(spec), JSON.stringify(validate.errors));
      const put = await call("PUT", "/deployments", spec);
      assert.ok(put.status === 201 || put.status === 200, JSON.stringify(put.body));
    }
    // Fields with a default may be left out.
    assert.ok(validate({ name: "small", image: "nginx" }), JSON.stringify(validate.errors));

    const unknown = { ...everyField, hostNetwork: true };
    assert.equal(validate(unknown), false);
    const refused = await call("PUT", "/deployments", unknown);
    assert.equal(refused.status, 400);
    assert.match(refused.body.message, /^hostNetwork: unknown field/);
    const nested = { ...everyField, resources: { cpu: 1, gpu: 1 } };
    assert.equal(validate(nested), false);
    assert.match((await call("PUT", "/deployments", nested)).body.message, /^resources\.gpu: unknown field/);
  });

  test("a deployment with every field comes back whole", async () => {
    const put = await call("PUT", "/deployments", everyField);
    assert.equal(put.status, 200);
    const read = await call("GET", "/deployments/full");
    const { hash: _hash, generation: _generation, createdAt: _c, updatedAt: _u, status, ...spec } = read.body;
    assert.deepEqual(spec, everyField);
    assert.deepEqual(put.body, (await store.get(keys.deployment("full")))?.value);
    assert.equal(status.replicas, 2);
  });

  test("configs and secrets with every field: a config's data comes back whole, a secret's never", async () => {
    const config = (await call("GET", "/configs/app-config")).body;
    assertSetsEveryField(ConfigSchema, [config], "config");
    assert.deepEqual(config.data, configData);
    assert.deepEqual(config.usedBy, ["full"]);
    const secret = (await call("GET", "/secrets/db-password")).body;
    assert.deepEqual(Object.keys(secret).sort(), [
      "createdAt",
      "keyId",
      "keys",
      "name",
      "size",
      "updatedAt",
      "usedBy",
      "version",
    ]);
    assert.deepEqual([secret.keys, secret.size, secret.version], [["password"], 6, 1]);
    const reencrypted = (await call("POST", "/secrets/db-password/reencrypt")).body;
    assertSetsEveryField(ReencryptResultSchema, [reencrypted], "reencrypt");
    assert.equal(reencrypted.reencrypted, 0);
  });

  test("stored objects with every field come back whole", async () => {
    await savePod(store, pod);
    await store.create(keys.node(node.name), node, { ephemeral: true });
    await store.set(keys.rollout("full"), rollout);
    await store.set(keys.revision("full", 1), revision);
    await store.set(keys.event(event.id), event);

    assert.deepEqual((await call("GET", "/pods?deployment=full")).body, [pod]);
    const nodes = (await call("GET", "/nodes")).body as NodeInfo[];
    const { unschedulable, ready, pods, allocated, ...registration } = nodes.find(
      (n) => n.name === node.name,
    ) as Node;
    assert.deepEqual(registration, node);
    assert.deepEqual({ unschedulable, ready, pods }, { unschedulable: false, ready: true, pods: 1 });
    assert.deepEqual(allocated, everyField.resources);
    // Recorded at generation 1; the deployment has been written again since.
    assert.deepEqual((await call("GET", "/deployments/full/rollout")).body, { ...rollout, observed: false });
    assert.deepEqual((await call("GET", "/deployments/full/history")).body, [revision]);
    assert.deepEqual((await call("GET", "/events?name=full")).body, [event]);
    await store.set(keys.volume(volume.node, volume.name), volume);
    assert.deepEqual((await call("GET", "/volumes?deployment=full")).body, [volume]);
    const withRollout = (await call("GET", "/deployments/full")).body;
    assert.deepEqual(withRollout.status.rollout, {
      revision: 3,
      state: "progressing",
      message: rollout.message,
    });
  });
});

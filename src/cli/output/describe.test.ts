import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { ClusterEvent, Pod, Revision, RolloutView } from "../../core/types.js";
import type { DeploymentView, NodeView } from "../api-client.js";
import { describedObject } from "../commands/describe.js";
import { sortByName } from "./by-name.js";
import { deploymentConditions, describeDeployment } from "./describe-deployment.js";
import { describeNode, nodeConditions } from "./describe-node.js";
import { describePod, podConditions } from "./describe-pod.js";
import { Description } from "./description.js";
import { lastSeenText } from "./event-table.js";

const NOW = Date.parse("2026-11-30T10:00:00.000Z");
const ago = (seconds: number) => new Date(NOW - seconds * 1000).toISOString();

const deployment: DeploymentView = {
  name: "web",
  image: "orchestra/hello:1",
  replicas: 2,
  command: ["sh", "-c", "echo 'hi' && serve"],
  env: { GREETING: "bonjour", DB_PASSWORD: "hunter2" },
  ports: [
    { name: "http", containerPort: 8080, protocol: "tcp", publishedPort: 8000 },
    { containerPort: 53, protocol: "udp" },
  ],
  resources: { cpu: 250, memory: 64 * 2 ** 20 },
  healthCheck: {
    http: { path: "/healthz", port: 8080 },
    intervalSeconds: 5,
    timeoutSeconds: 2,
    retries: 3,
    startPeriodSeconds: 0,
  },
  volumes: [
    { name: "data", mountPath: "/data" },
    { name: "cache", mountPath: "/cache", tmpfs: { sizeBytes: 64 * 2 ** 20 } },
  ],
  configs: [
    { name: "app", mountPath: "/etc/app", version: 2 },
    { name: "app-env", env: true },
  ],
  secrets: [{ name: "db-password", version: 1 }],
  strategy: { maxUnavailable: 0 },
  hash: "abcdef0123",
  generation: 3,
  createdAt: ago(600),
  updatedAt: ago(60),
  status: { replicas: 2, readyReplicas: 1, updatedReplicas: 2, availableReplicas: 1 },
};

function pod(name: string, extra: Partial<Pod> = {}, status: Partial<Pod["status"]> = {}): Pod {
  const {
    name: _n,
    replicas: _r,
    strategy: _s,
    hash,
    generation: _g,
    createdAt: _c,
    updatedAt: _u,
    status: _st,
    ...template
  } = deployment;
  return {
    id: `id-${name}`,
    name,
    deployment: "web",
    hash,
    template,
    status: { phase: "Running", restarts: 0, ...status },
    createdAt: ago(120),
    updatedAt: ago(60),
    ...extra,
  };
}

const rollout: RolloutView = {
  revision: 3,
  hash: "abcdef0123",
  observedGeneration: 3,
  state: "progressing",
  message: "1 of 2 new pods available",
  replicas: 2,
  updatedReplicas: 2,
  readyReplicas: 1,
  availableReplicas: 1,
  totalReplicas: 2,
  startedAt: ago(60),
  updatedAt: ago(5),
  progressAt: ago(5),
  observed: true,
};

function event(reason: string, object: string, extra: Partial<ClusterEvent> = {}): ClusterEvent {
  return {
    id: `${reason}-${object}`,
    time: ago(30),
    type: "Warning",
    reason,
    object,
    deployment: "web",
    message: `${reason} happened`,
    source: "worker/n1",
    ...extra,
  };
}

describe("the describe layout", () => {
  test("values line up within a run of fields; multi-line values stay in their column; empty is <none>", () => {
    const text = new Description()
      .field("Name", "web")
      .field("Longer label", "a\nb")
      .field("Empty", undefined)
      .heading("Nested")
      .field("X", "1", 2)
      .table("Rows", { headers: ["A", "B"], rows: [["1", "2"]] })
      .table("None", { headers: ["A"], rows: [] })
      .render();
    assert.equal(
      text,
      [
        "Name:          web",
        "Longer label:  a",
        "               b",
        "Empty:         <none>",
        "Nested:",
        "  X:  1",
        "Rows:",
        "  A   B",
        "  1   2",
        "None:  <none>",
        "",
      ].join("\n"),
    );
  });

  test("a repeated event says how often and since when", () => {
    assert.equal(lastSeenText(event("BackOff", "pod/web-a"), NOW), "30s");
    assert.equal(
      lastSeenText(event("BackOff", "pod/web-a", { count: 5, firstTime: ago(600) }), NOW),
      "30s (x5 over 10m)",
    );
  });

  test("lists sort by name, then id", () => {
    const sorted = sortByName([
      { name: "web-b", id: "2" },
      { name: "api-z", id: "9" },
      { name: "web-b", id: "1" },
    ]);
    assert.deepEqual(
      sorted.map((item) => `${item.name}/${item.id}`),
      ["api-z/9", "web-b/1", "web-b/2"],
    );
  });

  test("the kind and name: TYPE NAME or TYPE/NAME; a wrong kind or a missing name is an error naming it", () => {
    assert.deepEqual(describedObject("deploy", "web"), { kind: "deployment", name: "web" });
    assert.deepEqual(describedObject("pod/web-a", undefined), { kind: "pod", name: "web-a" });
    assert.deepEqual(describedObject("NO", "n1"), { kind: "node", name: "n1" });
    assert.throws(
      () => describedObject("configs", "app"),
      /cannot describe "configs": expected deployment, pod or node/,
    );
    assert.throws(() => describedObject("node", undefined), /describe node: a name is needed/);
    assert.throws(() => describedObject("pod/a", "b"), /give the name once/);
  });
});

describe("describe deployment", () => {
  const pods = [
    pod(
      "web-b",
      { node: "n2" },
      { ready: false, reason: "ErrImagePull", phase: "Pending", message: "no such image" },
    ),
    pod("web-a", { node: "n1" }, { ready: true, restarts: 2 }),
  ];
  const history: Revision[] = [
    {
      revision: 3,
      hash: "abcdef0123",
      template: pods[0]?.template as Pod["template"],
      createdAt: ago(60),
      cause: "image changed",
    },
  ];
  const events = [
    event("RolledBack", "deployment/web", { type: "Warning" }),
    event("ErrImagePull", "pod/web-b"),
  ];
  const text = describeDeployment({ deployment, rollout, history, pods, events }, NOW);

  test("spec: image, command, ports with the published one, env names without values, mounts by name and path", () => {
    assert.match(text, /^Name: +web\n/);
    assert.match(text, /\n {2}Image: +orchestra\/hello:1\n/);
    assert.match(text, /\n {2}Command: +sh -c 'echo '\\''hi'\\'' && serve'\n/);
    assert.match(
      text,
      /\n {2}Ports: +8080\/tcp \(http\), published on every node at 8000\/tcp\n {5,}53\/udp\n/,
    );
    assert.match(
      text,
      /\n {2}Environment: +DB_PASSWORD, GREETING \(values not shown\)\n +every key of config app-env\n/,
    );
    assert.doesNotMatch(text, /hunter2|bonjour/, "no environment value");
    assert.match(text, /\n {2}Resources: +cpu 250m, memory 64Mi\n/);
    assert.match(
      text,
      /Health check: +http GET :8080\/healthz every 5s, timeout 2s, unhealthy after 3 failures/,
    );
    assert.match(text, /Volumes: +data -> \/data \(named volume\)\n +cache -> \/cache \(tmpfs 64Mi\)\n/);
    assert.match(text, /Configs: +app -> \/etc\/app \(files, version 2\)\n +app-env \(environment\)\n/);
    assert.match(
      text,
      /Secrets: +db-password -> \/run\/secrets\/db-password \(files on tmpfs, version 1\)\n/,
    );
  });

  test("status, strategy, conditions and the rollout", () => {
    assert.match(
      text,
      /\nReplicas: +2 desired \| 2 updated \| 2 total \| 1 ready \| 1 available \| 1 unavailable\n/,
    );
    assert.match(
      text,
      /\nStrategy: +RollingUpdate: maxSurge 25%, maxUnavailable 0, minReadySeconds 0, progressDeadlineSeconds 120, autoRollback on\n/,
    );
    assert.match(
      text,
      /\nConditions:\n {2}TYPE +STATUS +REASON +MESSAGE\n {2}Available +False +MinimumReplicasUnavailable +1 of 2 available, 2 needed\n {2}Progressing +True +NewRevisionProgressing +1 of 2 new pods available\n/,
    );
    assert.match(
      text,
      /\nRollout:\n {2}Revision: +3 \(hash abcdef0123\)\n {2}Cause: +image changed\n {2}State: +progressing\n {2}Progress: +2 updated, 1 ready, 1 available of 2/,
    );
  });

  test("its pods by name with node, status, restarts and age; its events and its pods'", () => {
    assert.match(
      text,
      /\nPods:\n {2}NAME +NODE +STATUS +READY +RESTARTS +AGE\n {2}web-a +n1 +Running +True +2 +2m\n {2}web-b +n2 +ErrImagePull +False +0 +2m\n/,
    );
    assert.match(
      text,
      /\nEvents:\n {2}LAST SEEN +TYPE +REASON +OBJECT +MESSAGE\n {2}30s +Warning +RolledBack +deployment\/web +RolledBack happened\n {2}30s +Warning +ErrImagePull +pod\/web-b +ErrImagePull happened\n$/,
    );
  });

  test("conditions: enough available pods and a finished, failed or unobserved rollout", () => {
    const full = {
      ...deployment,
      status: { replicas: 2, readyReplicas: 2, updatedReplicas: 2, availableReplicas: 2 },
    };
    assert.deepEqual(deploymentConditions(full, { ...rollout, state: "complete", message: "done" }), [
      ["Available", "True", "MinimumReplicasAvailable", "2 of 2 available, 2 needed"],
      ["Progressing", "True", "NewRevisionAvailable", "done"],
    ]);
    assert.equal(deploymentConditions(full, { ...rollout, state: "rolled-back" })[1]?.[2], "RolledBack");
    assert.equal(deploymentConditions(full, { ...rollout, state: "failed" })[1]?.[2], "RolloutFailed");
    assert.equal(deploymentConditions(full, undefined)[1]?.[1], "Unknown");
  });
});

describe("describe pod", () => {
  test("an unpullable image: the reason as STATUS, the message, conditions and its events", () => {
    const stuck = pod(
      "web-b",
      { node: "n1" },
      { phase: "Pending", reason: "ErrImagePull", message: "image x not found" },
    );
    const text = describePod(
      stuck,
      [event("ErrImagePull", "pod/web-b", { count: 3, firstTime: ago(90) })],
      NOW,
    );
    assert.match(text, /^Name: +web-b\nID: +id-web-b\nDeployment: +web\n/);
    assert.match(text, /\nNode: +n1\n/);
    assert.match(
      text,
      /\nStatus: +ErrImagePull\nPhase: +Pending\nReason: +ErrImagePull\nMessage: +image x not found\n/,
    );
    assert.match(text, /\nTemplate:\n {2}Image: +orchestra\/hello:1\n/);
    assert.match(
      text,
      /\n {2}PodScheduled +True +Scheduled +bound to n1\n {2}Running +False +ErrImagePull +image x not found\n {2}Ready +False +ContainerNotRunning\n/,
    );
    assert.match(
      text,
      /\nEvents:\n {2}LAST SEEN +TYPE +REASON +FROM +MESSAGE\n {2}30s \(x3 over 1m\) +Warning +ErrImagePull +worker\/n1 +ErrImagePull happened\n$/,
    );
  });

  test("conditions of an unschedulable, a running unhealthy and a ready pod", () => {
    const unschedulable = pod(
      "w",
      {},
      { phase: "Pending", reason: "Unschedulable", message: "0/1 nodes available" },
    );
    assert.deepEqual(podConditions(unschedulable)[0], [
      "PodScheduled",
      "False",
      "Unschedulable",
      "0/1 nodes available",
    ]);
    const unhealthy = pod("w", { node: "n1" }, { health: "unhealthy", containerId: "0123456789abcdef" });
    assert.deepEqual(podConditions(unhealthy).slice(1), [
      ["Running", "True", "ContainerRunning", "container 0123456789ab"],
      ["Ready", "False", "HealthCheck", "health unhealthy"],
    ]);
    assert.deepEqual(podConditions(pod("w", { node: "n1" }, { ready: true }))[2], [
      "Ready",
      "True",
      "PodReady",
      "",
    ]);
  });
});

describe("describe node", () => {
  const node: NodeView = {
    name: "n1",
    address: "10.1.0.7",
    labels: { zone: "a", disk: "ssd" },
    capacity: { cpu: 2000, memory: 4 * 2 ** 30 },
    podSubnet: "10.42.1.0/24",
    schedulable: true,
    unschedulable: true,
    ready: true,
    pods: 2,
    allocated: { cpu: 500, memory: 128 * 2 ** 20 },
    registeredAt: ago(3600),
  };

  test("status, capacity and allocation, conditions, its pods with their requests, its events", () => {
    const pods = [
      pod("web-b", { node: "n1" }),
      pod("api-a", { node: "n1", deployment: "api" }, { reason: "CrashLoopBackOff" }),
    ];
    const text = describeNode(
      node,
      pods,
      [event("Cordoned", "node/n1", { type: "Normal", source: "api" })],
      NOW,
    );
    assert.match(
      text,
      /^Name: +n1\nStatus: +Ready,SchedulingDisabled\nAddress: +10\.1\.0\.7\nPod subnet: +10\.42\.1\.0\/24\nLabels: +disk=ssd\n +zone=a\n/,
    );
    assert.match(
      text,
      /\nCapacity: +cpu 2, memory 4Gi\nAllocated: +cpu 500m \(25%\), memory 128Mi \(3%\) \(requests of its pods\)\n/,
    );
    assert.match(
      text,
      /\n {2}Ready +True +WorkerRegistered +registered at .*\n {2}Schedulable +False +Cordoned +/,
    );
    assert.match(
      text,
      /\nPods \(2\):\n {2}NAME +DEPLOYMENT +STATUS +RESTARTS +CPU +MEMORY +AGE\n {2}api-a +api +CrashLoopBackOff +0 +250m +64Mi +2m\n {2}web-b +web +Running +0 +250m +64Mi +2m\n/,
    );
    assert.match(
      text,
      /\nEvents:\n {2}LAST SEEN +TYPE +REASON +FROM +MESSAGE\n {2}30s +Normal +Cordoned +api +Cordoned happened\n$/,
    );
  });

  test("a node whose worker is gone is not ready", () => {
    assert.deepEqual(nodeConditions({ ...node, ready: false, unschedulable: false })[0]?.slice(0, 3), [
      "Ready",
      "False",
      "WorkerGone",
    ]);
  });
});

// What bench:ports sets up on its lab (bench/ports.ts): the deployments it measures, the direct path from the
// root namespace to a pod, and plain `docker run -p` containers for comparison. Every step that makes something
// outside the lab's own namespaces pushes its undoing onto `undo`, which cleanUp() runs in reverse order.
import { setTimeout as sleep } from "node:timers/promises";
import type { DeploymentSpec, Pod } from "../src/core/types.js";
import type { Lab } from "../src/lab/lab.js";
import { ip } from "../src/lab/lab-system.js";
import type { FirewallRule } from "../src/network/kernel.js";
import { say } from "./stats.js";

const RULE_COMMENT = "orchestra:bench-ports";

export const undo: (() => Promise<unknown>)[] = [];

export async function cleanUp(): Promise<void> {
  while (undo.length > 0) {
    const step = undo.pop() as () => Promise<unknown>;
    await step().catch((err: Error) => say(`clean-up: ${err.message}`));
  }
}

async function readyPod(lab: Lab, name: string): Promise<Pod> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const pods = (await (await fetch(`${lab.apiUrl}/pods?deployment=${name}`)).json()) as Pod[];
    const pod = pods.find((p) => p.status.phase === "Running" && p.status.ready !== false && p.status.ip);
    if (pod) return pod;
    if (Date.now() > deadline)
      throw new Error(`${name} is not ready: ${JSON.stringify(pods.map((p) => p.status))}`);
    await sleep(200);
  }
}

/** Resolves once `probe` succeeds (the workers have seen the pod ready and written their rules). */
export async function answers(probe: () => Promise<unknown>, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ok = await probe().then(
      () => true,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${what} does not answer`);
    await sleep(200);
  }
}

/** One replica of `image` on h1, its `containerPort` published on every host as `publishedPort`. */
export async function deployOnH1(
  lab: Lab,
  name: string,
  image: string,
  containerPort: number,
  publishedPort: number,
  command?: string[],
): Promise<Pod> {
  const spec: DeploymentSpec = {
    name,
    image,
    replicas: 1,
    ...(command ? { command } : {}),
    ports: [{ containerPort, protocol: "tcp", publishedPort }],
    placement: { constraints: [{ label: "host", operator: "==", value: "h1" }] },
  };
  const response = await fetch(`${lab.apiUrl}/deployments`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(spec),
  });
  if (response.status >= 300) throw new Error(`PUT ${name}: ${response.status} ${await response.text()}`);
  undo.push(() => fetch(`${lab.apiUrl}/deployments/${name}`, { method: "DELETE" }));
  return readyPod(lab, name);
}

/**
 * The direct path from the root namespace: a route to the pod through h1, and on h1 a rule that lets the
 * connection through Docker's FORWARD chain (which only lets in the pod network and published ports). The rule
 * leaves DNATed connections alone, so that the published path still goes through the worker's own rules.
 */
export async function openDirectPath(lab: Lab, podIp: string): Promise<void> {
  const h1 = lab.host("h1");
  await ip("route", "replace", `${podIp}/32`, "via", h1.address);
  undo.push(() => ip("route", "del", `${podIp}/32`, "via", h1.address));
  const rule: FirewallRule = {
    table: "filter",
    chain: "DOCKER-USER",
    args: [
      ...["-s", `${lab.state.rootAddress}/32`, "-d", `${podIp}/32`, "-p", "tcp"],
      ...["-m", "conntrack", "!", "--ctstate", "DNAT"],
      ...["-m", "comment", "--comment", RULE_COMMENT, "-j", "ACCEPT"],
    ],
  };
  const kernel = lab.kernel("h1");
  await kernel.insertRule(rule);
  undo.push(() => kernel.deleteRule(rule));
}

/** A plain `docker run -d -p hostPort:containerPort image [command]` on h1's engine. */
export async function dockerRunOnH1(
  lab: Lab,
  name: string,
  image: string,
  containerPort: number,
  hostPort: number,
  command?: string[],
): Promise<void> {
  const docker = lab.engine("h1").docker;
  const container = await docker.createContainer({
    name,
    Image: image,
    ...(command ? { Cmd: command } : {}),
    ExposedPorts: { [`${containerPort}/tcp`]: {} },
    HostConfig: { PortBindings: { [`${containerPort}/tcp`]: [{ HostPort: String(hostPort) }] } },
  });
  undo.push(() => container.remove({ force: true }));
  await container.start();
}

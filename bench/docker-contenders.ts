// The contenders bench:docker measures Orchestra against, all on the same engine and image, each timed from
// its first command until the engine runs N of its containers (EngineWatch.waitRunning):
// - raw: N `docker run -d` processes started in parallel, as a user would type them;
// - swarm: `docker service create --replicas N` in Docker Swarm mode on this engine;
// - api: N create + start calls through the Engine API in parallel (no CLI processes).
import { execFile } from "node:child_process";
import { networkInterfaces } from "node:os";
import { promisify } from "node:util";
import type Docker from "dockerode";
import type { EngineWatch } from "./engine-watch.js";

const run = promisify(execFile);
export const TIMEOUT_MS = 240_000;
/** The label every container of a raw or api run carries, with the run's tag. */
const BENCH_LABEL = "orchestra-bench";

/** One run of a contender: N containers of `image` on `network`, named and labelled after `tag`. */
export interface RunSpec {
  docker: Docker;
  watch: EngineWatch;
  image: string;
  n: number;
  tag: string;
  network: string;
}

export interface Timing {
  /** First command until N containers run, seconds. */
  seconds: number;
  /** Per container: the first command until its start event arrived, ms. */
  starts: number[];
}

function timing(watch: EngineWatch, labels: Record<string, string>, t0: number, end: number): Timing {
  const starts = watch.matching(labels, t0, "start").map((event) => event.at - t0);
  return { seconds: (end - t0) / 1000, starts };
}

async function removeLabelled(
  docker: Docker,
  watch: EngineWatch,
  labels: Record<string, string>,
): Promise<void> {
  await removeContainers(
    docker,
    Object.entries(labels).map(([key, value]) => `${key}=${value}`),
  );
  await watch.waitGone(labels, 60_000);
}

/** Force-removes every container (running or not) that carries all of `labels` (`key` or `key=value`). */
async function removeContainers(docker: Docker, labels: string[]): Promise<void> {
  const left = await docker.listContainers({ all: true, filters: { label: labels } });
  await Promise.all(
    left.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => undefined),
    ),
  );
}

/**
 * Launches N containers at once with `launch(i, labels)` (each resolving once its container was asked to start)
 * and times them until the engine runs N; a launch that fails fails the run. Removes them after.
 */
async function inParallel(
  { docker, watch, n, tag }: RunSpec,
  launch: (i: number, labels: Record<string, string>) => Promise<unknown>,
): Promise<Timing> {
  const labels = { [BENCH_LABEL]: tag };
  let launches: Promise<unknown>[] = [];
  try {
    const t0 = Date.now();
    launches = Array.from({ length: n }, (_, i) => launch(i, labels));
    const failed = Promise.all(launches).then(
      () => new Promise<never>(() => {}),
      (err: Error & { stderr?: string }) => {
        throw new Error(`starting a container failed: ${err.stderr?.trim() || err.message}`);
      },
    );
    const end = await Promise.race([watch.waitRunning(labels, n, t0, TIMEOUT_MS), failed]);
    return timing(watch, labels, t0, end);
  } finally {
    await Promise.allSettled(launches);
    await removeLabelled(docker, watch, labels);
  }
}

/**
 * N `docker run -d --network NETWORK IMAGE` processes at once. On a user-defined bridge as Orchestra's pods are
 * (the default bridge has no DNS of its own, and is not usable on every machine).
 */
export function rawDockerRun(spec: RunSpec): Promise<Timing> {
  const { image, tag, network } = spec;
  return inParallel(spec, (i) =>
    run("docker", [
      "run",
      "-d",
      "--name",
      `${tag}-${i}`,
      "--network",
      network,
      "--label",
      `${BENCH_LABEL}=${tag}`,
      image,
    ]),
  );
}

/** N containers created and started through the Engine API in parallel, on `network`. */
export function engineApi(spec: RunSpec): Promise<Timing> {
  const { docker, image, tag, network } = spec;
  return inParallel(spec, async (i, labels) => {
    const container = await docker.createContainer({
      name: `${tag}-${i}`,
      Image: image,
      Labels: labels,
      HostConfig: { NetworkMode: network },
    });
    await container.start();
  });
}

/** This machine's first non-loopback IPv4 address: where Swarm advertises itself. */
export function machineAddress(): string {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (address.family === "IPv4" && !address.internal && !address.address.startsWith("172.17."))
        return address.address;
    }
  }
  throw new Error("no non-loopback IPv4 address for `docker swarm init --advertise-addr`");
}

/** Whether this process put the engine into swarm mode and has not left it yet (see `leaveEngineAsFound`). */
let swarmJoined = false;

/**
 * What an interrupted run (Ctrl-C, a timeout's SIGTERM) leaves behind, removed without waiting for the
 * measurement under way: every container labelled by a raw or api run, the swarm services named after
 * `tagPrefix`, and swarm mode if this process entered it.
 */
export async function leaveEngineAsFound(docker: Docker, tagPrefix: string): Promise<void> {
  if (swarmJoined) {
    const services = await docker.listServices().catch(() => []);
    for (const service of services) {
      if (service.Spec?.Name?.startsWith(tagPrefix))
        await run("docker", ["service", "rm", service.ID]).catch(() => undefined);
    }
    await run("docker", ["swarm", "leave", "--force"]).catch(() => undefined);
    swarmJoined = false;
  }
  await removeContainers(docker, [BENCH_LABEL]);
}

/**
 * Docker Swarm mode on this engine for the length of `body`: `docker swarm init` before, `docker swarm leave
 * --force` after (even on failure), and the networks it created removed. Refuses an engine already in a swarm.
 * `body` gets a bridge network of swarm scope (local to this engine, like the others' networks) for its tasks.
 */
export async function inSwarm<T>(
  docker: Docker,
  network: string,
  body: (network: string) => Promise<T>,
): Promise<T> {
  const info = await docker.info();
  if (info.Swarm?.LocalNodeState !== "inactive")
    throw new Error(`this engine is already in swarm mode (${info.Swarm?.LocalNodeState}); leave it first`);
  const networksBefore = new Set((await docker.listNetworks()).map((network) => network.Name));
  await run("docker", ["swarm", "init", "--advertise-addr", machineAddress()]);
  swarmJoined = true;
  try {
    await run("docker", ["network", "create", "--driver", "bridge", "--scope", "swarm", network]);
    return await body(network);
  } finally {
    await run("docker", ["network", "rm", network]).catch(() => undefined);
    await run("docker", ["swarm", "leave", "--force"]);
    swarmJoined = false;
    // docker_gwbridge outlives the swarm; ingress goes with it.
    for (const created of await docker.listNetworks()) {
      if (!networksBefore.has(created.Name) && /^(docker_gwbridge|ingress)$/.test(created.Name))
        await docker
          .getNetwork(created.Id)
          .remove()
          .catch(() => undefined);
    }
  }
}

/**
 * `docker service create --replicas N` (call inside `inSwarm`), with `--no-resolve-image` (no registry here).
 * With `byId` the image is given by its ID, so that Swarm's agent also skips the registry pull it otherwise
 * tries before every task.
 */
export async function swarmService(
  { docker, watch, image, n, tag, network }: RunSpec,
  byId: boolean,
): Promise<Timing> {
  const reference = byId ? (await docker.getImage(image).inspect()).Id : image;
  const labels = { "com.docker.swarm.service.name": tag };
  try {
    const t0 = Date.now();
    await run("docker", [
      "service",
      "create",
      "--detach",
      "--quiet",
      "--no-resolve-image",
      "--name",
      tag,
      "--replicas",
      String(n),
      "--network",
      network,
      reference,
    ]);
    const end = await watch.waitRunning(labels, n, t0, TIMEOUT_MS);
    return timing(watch, labels, t0, end);
  } finally {
    await run("docker", ["service", "rm", tag]).catch(() => undefined);
    await watch.waitGone(labels, 60_000);
  }
}

// What a test run sees and leaves on the Docker engine: its containers by node label, and the removal of its
// containers and networks (returning the problems met, so that a cleanup finishes everything before it reports).
import type Docker from "dockerode";
import type { ObservedContainer } from "./cluster.js";

type DockerError = { statusCode?: number; message: string };

export async function removeDockerLeftovers(
  docker: Docker,
  containers: { id: string; name: string }[],
  networks: readonly string[],
): Promise<string[]> {
  const problems: string[] = [];
  for (const container of containers) {
    await docker
      .getContainer(container.id)
      .remove({ force: true })
      .catch((error: DockerError) => {
        if (error.statusCode !== 404) problems.push(`container ${container.name}: ${error.message}`);
      });
  }
  const listed = await docker.listNetworks().catch(() => []);
  for (const found of listed.filter((n) => networks.includes(n.Name))) {
    await docker
      .getNetwork(found.Id)
      .remove()
      .catch((error: DockerError) => {
        if (error.statusCode !== 404) problems.push(`network ${found.Name}: ${error.message}`);
      });
  }
  return problems;
}

/** Containers of `node` carrying every given label (stopped ones included), with their address on `network`. */
export async function nodeContainers(
  docker: Docker,
  node: string,
  network: string,
  labels: Record<string, string> = {},
): Promise<ObservedContainer[]> {
  const filters = [`orchestra.node=${node}`, ...Object.entries(labels).map(([k, v]) => `${k}=${v}`)];
  const listed = await docker.listContainers({ all: true, filters: { label: filters } });
  return listed.map((c) => ({
    id: c.Id,
    name: (c.Names[0] ?? "").replace(/^\//, ""),
    image: c.Image,
    state: c.State,
    running: c.State === "running",
    labels: c.Labels,
    ip: c.NetworkSettings?.Networks?.[network]?.IPAddress || undefined,
  }));
}

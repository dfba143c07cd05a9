// Removes what a test run left on the Docker engine: its containers (by id) and its network (by name).
// Returns the problems met, so that a cleanup can finish everything before it reports.
import type Docker from "dockerode";

type DockerError = { statusCode?: number; message: string };

export async function removeDockerLeftovers(
  docker: Docker,
  containers: { id: string; name: string }[],
  network: string,
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
  const networks = await docker.listNetworks({ filters: { name: [network] } }).catch(() => []);
  for (const found of networks.filter((n) => n.Name === network)) {
    await docker
      .getNetwork(found.Id)
      .remove()
      .catch((error: DockerError) => {
        if (error.statusCode !== 404) problems.push(`network ${found.Name}: ${error.message}`);
      });
  }
  return problems;
}

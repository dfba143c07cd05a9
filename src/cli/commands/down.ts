// `orchestra down`: removes every container Orchestra created on this machine's Docker engine, its pod network,
// the routes and firewall rules of the pod network across machines, and the published ports' tables.
import type { Command } from "commander";
import { DEFAULT_NETWORK } from "../../cmd/worker.js";
import { removeDataPath } from "../../network/data-path-cleanup.js";
import { HostKernel } from "../../network/host-kernel.js";
import { hasNetAdmin } from "../../network/privilege.js";
import { removePublishedPorts } from "../../network/published-port-rules.js";
import { DockerRuntime } from "../../runtime/docker/docker-runtime.js";
import { MANAGED_LABELS } from "../../runtime/labels.js";
import type { CliIo } from "../cli-io.js";

export function registerDown(program: Command, io: CliIo): void {
  program
    .command("down")
    .description(
      "remove every container Orchestra created on this machine, its pod network, and the pod network's routes and firewall rules",
    )
    .option("--docker-host <url>", "Docker engine (default DOCKER_HOST or the local socket)")
    .option("--network <name>", "pod network to remove", DEFAULT_NETWORK)
    .action(async (flags: { dockerHost?: string; network: string }) => {
      const runtime = new DockerRuntime({ dockerHost: flags.dockerHost });
      try {
        const containers = await runtime.list({ labels: { ...MANAGED_LABELS } });
        await Promise.all(containers.map((container) => runtime.remove(container.id)));
        for (const container of containers) io.out(`container/${container.name} removed\n`);
        await runtime.removeNetwork(flags.network);
        io.out(`${containers.length} container(s) removed\n`);
      } finally {
        await runtime.close();
      }
      // Without CAP_NET_ADMIN no worker here could have set any (a routed worker refuses to start).
      if (hasNetAdmin()) {
        const kernel = new HostKernel();
        const tables = await removePublishedPorts(kernel);
        if (tables > 0) io.out(`${tables} table(s) of published ports removed\n`);
        const removed = await removeDataPath(kernel);
        if (removed.rules + removed.routes > 0) {
          io.out(
            `${removed.rules} firewall rule(s) and ${removed.routes} route(s) of the pod network removed\n`,
          );
        }
      }
    });
}

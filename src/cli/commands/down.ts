// `orchestra down`: removes every container Orchestra created on this machine's Docker engine.
import type { Command } from "commander";
import { DEFAULT_NETWORK } from "../../cmd/worker.js";
import { DockerRuntime } from "../../runtime/docker/docker-runtime.js";
import { MANAGED_LABELS } from "../../runtime/labels.js";
import type { CliIo } from "../cli-io.js";

export function registerDown(program: Command, io: CliIo): void {
  program
    .command("down")
    .description("remove every container Orchestra created on this machine (and its pod network)")
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
    });
}

// `orchestra deploy NAME --image IMG ...`: create a deployment, or replace the spec of an existing one.
import type { Command } from "commander";
import type { CliIo } from "../cli-io.js";
import { type DeployFlags, specFromFlags } from "../deployment-flags.js";
import { apiClientFor } from "../global-options.js";
import { putDeployment } from "../put-deployment.js";
import { DEFAULT_ROLLOUT_TIMEOUT, parseDuration, waitForRollout } from "./rollout.js";

interface WaitFlags {
  wait?: boolean;
  timeout: string;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function registerDeploy(program: Command, io: CliIo): void {
  program
    .command("deploy")
    .summary("create a deployment or replace its spec")
    .description(
      "create a deployment, or replace its whole spec: flags not given go back to their defaults " +
        "(use `scale` to change only the replicas, `apply -f` to manage specs in files)",
    )
    .argument("<name>", "deployment name (a DNS label)")
    .argument("[command...]", "the container's command and arguments, after `--`")
    .requiredOption("--image <image>", "container image, e.g. nginx:alpine")
    .option("-r, --replicas <n>", "number of pods, 0 to 1000 (default 1)")
    .option("-e, --env <KEY=VALUE>", "environment variable (repeatable)", collect)
    .option("--port <[name:]port[/udp]>", "container port (repeatable)", collect)
    .option(
      "-p, --publish <published:container[/udp]>",
      "publish a container port on every node's addresses (repeatable)",
      collect,
    )
    .option("-l, --label <key=value>", "pod label (repeatable)", collect)
    .option("--cpu <millicores>", "CPU in millicores, e.g. 500 or 500m")
    .option("--memory <bytes>", "memory in bytes or as 128Mi, 1Gi")
    .option(
      "-v, --volume <source:path[:ro]>",
      "a named volume NAME:PATH or a host path /DIR:PATH (repeatable)",
      collect,
    )
    .option(
      "--tmpfs <path[:size]>",
      "memory mounted at PATH, e.g. /cache:64Mi (default 64Mi; repeatable)",
      collect,
    )
    .option(
      "--config <name[:path]>",
      "a config as files in PATH, or without PATH as variables (repeatable)",
      collect,
    )
    .option(
      "--secret <name[:path]>",
      "a secret as files on tmpfs in PATH (default /run/secrets/NAME; repeatable)",
      collect,
    )
    .option("--wait", "wait for the rollout to finish, showing its progress (exit 1 if it fails)")
    .option("--timeout <duration>", "with --wait: give up after this long", DEFAULT_ROLLOUT_TIMEOUT)
    .addHelpText(
      "after",
      "\nExamples:\n  orchestra deploy web --image nginx:alpine --replicas 3 --port http:80\n" +
        "  orchestra deploy web --image nginx:alpine --replicas 3 --publish 8000:80\n",
    )
    .action(async (name: string, command: string[], flags: DeployFlags & WaitFlags, self: Command) => {
      const spec = specFromFlags(name, flags, command);
      const timeoutMs = parseDuration(flags.timeout);
      const client = apiClientFor(self, io);
      const outcome = await putDeployment(client, spec);
      io.out(`deployment/${name} ${outcome}\n`);
      if (flags.wait) await waitForRollout(client, name, io, { timeoutMs });
    });
}

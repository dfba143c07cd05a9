// `orchestra lab up|down`: a local multi-host cluster on this machine (see src/lab/lab.ts), like kind or k3d.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { Command } from "commander";
import { DEFAULT_LAB_HOSTS, Lab, labsOnMachine } from "../../lab/lab.js";
import {
  DEFAULT_LAB_NAME,
  DEFAULT_LAB_ROOT,
  netnsPath,
  parseHostCount,
  parseLabName,
} from "../../lab/lab-plan.js";
import { DEFAULT_POD_CIDR, parsePodCidr } from "../../network/pod-cidr.js";
import type { CliIo } from "../cli-io.js";

// Compiled to dist/src/cli/commands/: the repository's scripts/ is four folders up.
const DEMO_IMAGE_SCRIPT = fileURLToPath(new URL("../../../../scripts/build-demo-image.sh", import.meta.url));

interface UpFlags {
  hosts: string;
  name: string;
  root: string;
  podCidr: string;
}

export function registerLab(program: Command, io: CliIo): void {
  const lab = program
    .command("lab")
    .description(
      "a local multi-host cluster: hosts as network namespaces, each with its own Docker engine (root)",
    );

  lab
    .command("up")
    .description("create the hosts, their engines, ZooKeeper, the control plane and a worker per host")
    .option("--hosts <n>", "how many hosts", String(DEFAULT_LAB_HOSTS))
    .option("--name <name>", "the lab's name (several labs may run side by side)", DEFAULT_LAB_NAME)
    .option("--root <dir>", "where the lab keeps its engines' data, logs and state", DEFAULT_LAB_ROOT)
    .option("--pod-cidr <cidr>", "the cluster's pod addresses, one /24 per host", DEFAULT_POD_CIDR)
    .action(async (flags: UpFlags) => {
      const options = {
        name: parseLabName(flags.name),
        hosts: parseHostCount(flags.hosts),
        root: flags.root,
        podCidr: parsePodCidr(flags.podCidr),
      };
      // The demo images go into every engine: make them when this is a checkout that can.
      if (existsSync(DEMO_IMAGE_SCRIPT))
        await promisify(execFile)(DEMO_IMAGE_SCRIPT, [], { timeout: 300_000 });
      const started = await Lab.up(options);
      const { state } = started;
      const lines = [
        `Lab "${state.name}" is up: ${state.hosts.length} host(s) on ${state.subnet}, pods on ${state.podCidr}`,
        `API:    ${state.apiUrl}   (export ORCHESTRA_SERVER=${state.apiUrl})`,
        `Store:  ${state.storeUrl}`,
        `DNS:    ${state.dns} for *.cluster.local`,
        ...state.hosts.map(
          (host) =>
            `${host.name}:     ${host.address}   docker -H ${host.dockerHost}   nsenter --net=${netnsPath(host.netns)} sh`,
        ),
        `Logs:   ${state.dir}`,
        `Try:    orchestra --server ${state.apiUrl} deploy web --image orchestra/hello --replicas ${state.hosts.length}`,
        `Remove: orchestra lab down${state.name === DEFAULT_LAB_NAME ? "" : ` --name ${state.name}`}`,
        "",
      ];
      io.out(lines.join("\n"));
    });

  lab
    .command("down")
    .description("remove every namespace, interface, engine, process, mount and file of the lab")
    .option("--name <name>", "the lab's name", DEFAULT_LAB_NAME)
    .option("--root <dir>", "where the lab keeps its state", DEFAULT_LAB_ROOT)
    .option("--all", "every lab on this machine")
    .action(async (flags: { name: string; root: string; all?: boolean }) => {
      const names = flags.all ? labsOnMachine() : [parseLabName(flags.name)];
      for (const name of names) {
        await Lab.down(name, flags.root);
        io.out(`lab "${name}" removed\n`);
      }
    });
}

// `orchestra top pods|nodes`: CPU and memory in use now, as `kubectl top`: each pod's container, or each node's
// pods together against its capacity, from the engines' stats through the workers' node endpoints.
import type { Command } from "commander";
import type { NodeUsage, PodUsage } from "../../core/types.js";
import { CliError } from "../cli-error.js";
import type { CliIo } from "../cli-io.js";
import { apiClientFor } from "../global-options.js";
import { formatTable, type Table } from "../output/table.js";

/** `250m`; `<unknown>` without figures. */
function cores(millicores: number | undefined): string {
  return millicores === undefined ? "<unknown>" : `${millicores}m`;
}

/** `35Mi` (kubectl's unit for memory in `top`); `<unknown>` without figures. */
function mebibytes(bytes: number | undefined): string {
  return bytes === undefined ? "<unknown>" : `${Math.round(bytes / 2 ** 20)}Mi`;
}

function percent(used: number | undefined, capacity: number): string {
  return used === undefined || capacity <= 0 ? "<unknown>" : `${Math.round((used / capacity) * 100)}%`;
}

/** NAME NODE CPU(cores) MEMORY(bytes), and why a pod has no figures. */
export function podUsageTable(pods: PodUsage[]): Table {
  return {
    headers: ["NAME", "NODE", "CPU(cores)", "MEMORY(bytes)", "NOTE"],
    rows: pods.map((pod) => [pod.name, pod.node, cores(pod.cpu), mebibytes(pod.memory), pod.error ?? ""]),
  };
}

/** NAME PODS CPU(cores) CPU% MEMORY(bytes) MEMORY%: what its pods use, against what the node has. */
export function nodeUsageTable(nodes: NodeUsage[]): Table {
  return {
    headers: ["NAME", "PODS", "CPU(cores)", "CPU%", "MEMORY(bytes)", "MEMORY%", "NOTE"],
    rows: nodes.map((node) => [
      node.name,
      String(node.pods),
      cores(node.cpu),
      percent(node.cpu, node.capacity.cpu),
      mebibytes(node.memory),
      percent(node.memory, node.capacity.memory),
      node.error ?? "",
    ]),
  };
}

export function registerTop(program: Command, io: CliIo): void {
  program
    .command("top")
    .description("show the CPU and memory in use now by pods or nodes")
    .argument("<kind>", "pods or nodes")
    .action(async (kind: string, _flags: unknown, self: Command) => {
      const which = { pod: "pods", pods: "pods", po: "pods", node: "nodes", nodes: "nodes", no: "nodes" }[
        kind
      ];
      if (!which) throw new CliError(`kind: "${kind}" is not pods or nodes`);
      const client = apiClientFor(self, io);
      if (which === "pods") {
        const pods = await client.podUsage();
        if (pods.length === 0) io.err("No running pods.\n");
        else io.out(formatTable(podUsageTable(pods)));
      } else {
        const nodes = await client.nodeUsage();
        if (nodes.length === 0) io.err("No nodes.\n");
        else io.out(formatTable(nodeUsageTable(nodes)));
      }
    });
}

// `orchestra get deployments|pods|nodes [NAME] [-o table|wide|json|yaml]`: list or show objects.
import { type Command, Option } from "commander";
import type { ConfigInfo, Pod, SecretInfo, VolumeReport } from "../../core/types.js";
import type { ApiClient, DeploymentView, NodeView } from "../api-client.js";
import { ApiError, CliError } from "../cli-error.js";
import type { CliIo } from "../cli-io.js";
import { apiClientFor } from "../global-options.js";
import { dataTable, volumeTable } from "../output/data-tables.js";
import { deploymentTable, nodeTable, podTable, type TableOptions } from "../output/resource-tables.js";
import { formatStructured } from "../output/structured.js";
import { formatTable, type Table } from "../output/table.js";

type Kind = "deployment" | "pod" | "node" | "config" | "secret" | "volume";
type OutputFormat = "table" | "wide" | "json" | "yaml";

// A Map, not an object literal: `get constructor` must not find Object.prototype's.
const KINDS = new Map<string, Kind>([
  ["deployments", "deployment"],
  ["deployment", "deployment"],
  ["deploy", "deployment"],
  ["pods", "pod"],
  ["pod", "pod"],
  ["po", "pod"],
  ["nodes", "node"],
  ["node", "node"],
  ["no", "node"],
  ["configs", "config"],
  ["config", "config"],
  ["secrets", "secret"],
  ["secret", "secret"],
  ["volumes", "volume"],
  ["volume", "volume"],
]);

interface GetFlags {
  output: OutputFormat;
  deployment?: string;
  node?: string;
}

/** `pods`, `po`, `deployment/web` → kind and optional name; an unknown word fails with the choices. */
export function resolveKind(word: string): { kind: Kind; name?: string } {
  const slash = word.indexOf("/");
  const type = (slash === -1 ? word : word.slice(0, slash)).toLowerCase();
  const kind = KINDS.get(type);
  if (!kind)
    throw new CliError(
      `unknown resource type "${type}" (expected deployments, pods, nodes, configs, secrets or volumes)`,
    );
  return slash === -1 ? { kind } : { kind, name: word.slice(slash + 1) };
}

/** What was fetched: every object of a kind, or the one asked for by name (`single`). */
type Found = { single: boolean } & (
  | { kind: "deployment"; items: DeploymentView[] }
  | { kind: "pod"; items: Pod[] }
  | { kind: "node"; items: NodeView[] }
  | { kind: "config"; items: ConfigInfo[] }
  | { kind: "secret"; items: SecretInfo[] }
  | { kind: "volume"; items: VolumeReport[] }
);

function notFound(kind: Kind, name: string): ApiError {
  return new ApiError(404, "NotFound", `${kind} "${name}" not found`);
}

async function fetchObjects(
  client: ApiClient,
  kind: Kind,
  name: string | undefined,
  flags: GetFlags,
): Promise<Found> {
  const single = name !== undefined;
  if (kind === "deployment") {
    const items = name === undefined ? await client.listDeployments() : [await client.getDeployment(name)];
    return { kind, items, single };
  }
  // No by-name routes for pods and nodes: filter the list (a pod may be named by its name or its id).
  if (kind === "pod") {
    const pods = await client.listPods({ deployment: flags.deployment, node: flags.node });
    const items = pods.filter((pod) => name === undefined || pod.name === name || pod.id === name);
    if (name !== undefined && items.length === 0) throw notFound(kind, name);
    return { kind, items, single };
  }
  if (kind === "config" || kind === "secret" || kind === "volume") {
    const all = kind === "volume" ? await client.listVolumes() : await client.listData(kind);
    const items = all.filter((item) => name === undefined || item.name === name);
    if (name !== undefined && items.length === 0) throw notFound(kind, name);
    if (kind === "volume") return { kind, items: items as VolumeReport[], single };
    if (kind === "config") return { kind, items: items as ConfigInfo[], single };
    return { kind, items: items as SecretInfo[], single };
  }
  const items = (await client.listNodes()).filter((node) => name === undefined || node.name === name);
  if (name !== undefined && items.length === 0) throw notFound(kind, name);
  return { kind, items, single };
}

async function tableOf(client: ApiClient, found: Found, options: TableOptions): Promise<Table> {
  if (found.kind === "deployment") return deploymentTable(found.items, options);
  if (found.kind === "pod") return podTable(found.items, options);
  if (found.kind === "config") return dataTable(found.items, options);
  if (found.kind === "secret") return dataTable(found.items, options);
  if (found.kind === "volume") return volumeTable(found.items, options);
  const podCounts = new Map<string, number>();
  // Count pods per node ourselves only when the server did not count them.
  if (found.items.some((node) => typeof node.pods !== "number")) {
    for (const pod of await client.listPods()) {
      if (pod.node !== undefined) podCounts.set(pod.node, (podCounts.get(pod.node) ?? 0) + 1);
    }
  }
  return nodeTable(found.items, podCounts, options);
}

export function registerGet(program: Command, io: CliIo): void {
  program
    .command("get")
    .description("list deployments, pods, nodes, configs, secrets or volumes, or show one by name")
    .argument(
      "<type>",
      "deployments (deploy), pods (po), nodes (no), configs, secrets, volumes; also TYPE/NAME",
    )
    .argument("[name]", "show only this object")
    .addOption(
      new Option("-o, --output <format>", "output format")
        .choices(["table", "wide", "json", "yaml"])
        .default("table"),
    )
    .option("-d, --deployment <name>", "pods: only those of this deployment")
    .option("--node <name>", "pods: only those bound to this node")
    .action(async (type: string, nameArgument: string | undefined, flags: GetFlags, self: Command) => {
      const resolved = resolveKind(type);
      if (resolved.name !== undefined && nameArgument !== undefined) {
        throw new CliError(`give the name once: "${type}" already names one ${resolved.kind}`);
      }
      const name = resolved.name ?? nameArgument;
      if ((flags.deployment !== undefined || flags.node !== undefined) && resolved.kind !== "pod") {
        throw new CliError("--deployment and --node filter pods only");
      }
      const client = apiClientFor(self, io);
      const found = await fetchObjects(client, resolved.kind, name, flags);
      if (flags.output === "json" || flags.output === "yaml") {
        io.out(formatStructured(found.single ? found.items[0] : found.items, flags.output));
        return;
      }
      if (found.items.length === 0) {
        io.err("No resources found.\n");
        return;
      }
      const table = await tableOf(client, found, { wide: flags.output === "wide", now: io.now() });
      io.out(formatTable(table));
    });
}

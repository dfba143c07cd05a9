// `orchestra describe deployment|pod|node NAME` (or TYPE/NAME): one object in detail, with its pods and its
// recent events, in kubectl's manner. Built from the read routes every client has (GET /deployments/{name},
// .../rollout, .../history, /pods, /nodes, /events); the formatting is in output/describe-*.ts.
import type { Command } from "commander";
import type { ClusterEvent } from "../../core/types.js";
import type { ApiClient } from "../api-client.js";
import { ApiError, CliError } from "../cli-error.js";
import type { CliIo } from "../cli-io.js";
import { apiClientFor } from "../global-options.js";
import { describeDeployment } from "../output/describe-deployment.js";
import { describeNode } from "../output/describe-node.js";
import { describePod } from "../output/describe-pod.js";
import { resolveKind } from "./get.js";

type DescribedKind = "deployment" | "pod" | "node";

/** Events shown at most, the newest (`orchestra events NAME` lists every one kept). */
export const DESCRIBE_EVENTS = 20;

const DESCRIBED: ReadonlySet<string> = new Set(["deployment", "pod", "node"]);

/** `deployment web`, `pod/web-x5w4w`, `no n1` → kind and name; anything else fails naming what was given. */
export function describedObject(
  type: string,
  name: string | undefined,
): { kind: DescribedKind; name: string } {
  const slash = type.indexOf("/");
  const word = (slash === -1 ? type : type.slice(0, slash)).toLowerCase();
  // `get`'s words for the kinds (deploy, po, no, plurals); only these three are described.
  let kind: string | undefined;
  try {
    kind = resolveKind(word).kind;
  } catch {
    kind = undefined;
  }
  if (kind === undefined || !DESCRIBED.has(kind))
    throw new CliError(`cannot describe "${word}": expected deployment, pod or node`);
  const named = slash === -1 ? name : type.slice(slash + 1);
  if (slash !== -1 && name !== undefined)
    throw new CliError(`give the name once: "${type}" already names a ${kind}`);
  if (named === undefined || named === "") throw new CliError(`describe ${kind}: a name is needed`);
  return { kind: kind as DescribedKind, name: named };
}

function notFound(kind: DescribedKind, name: string): ApiError {
  return new ApiError(404, "NotFound", `${kind} "${name}" not found`);
}

/** The newest DESCRIBE_EVENTS of `events` that `about` keeps, oldest first. */
function recent(events: ClusterEvent[], about: (event: ClusterEvent) => boolean): ClusterEvent[] {
  return events.filter(about).slice(-DESCRIBE_EVENTS);
}

async function describe(client: ApiClient, kind: DescribedKind, name: string, now: number): Promise<string> {
  if (kind === "deployment") {
    const deployment = await client.getDeployment(name);
    const [rollout, history, pods, events] = await Promise.all([
      client.getRollout(name).catch((error: unknown) => {
        // Gone between the two reads, or a server without the route: describe the rest.
        if (error instanceof ApiError && error.status === 404) return undefined;
        throw error;
      }),
      client.getHistory(name).catch(() => []),
      client.listPods({ deployment: name }),
      client.listEvents({ name }),
    ]);
    // The deployment's own events and its pods' (the server also matches an object of that name).
    const own = recent(events, (event) => event.object === `deployment/${name}` || event.deployment === name);
    return describeDeployment({ deployment, rollout, history, pods, events: own }, now);
  }
  if (kind === "pod") {
    // No by-name route for pods: a pod is found by its name or its id in the list.
    const pod = (await client.listPods()).find(
      (candidate) => candidate.name === name || candidate.id === name,
    );
    if (!pod) throw notFound(kind, name);
    const events = await client.listEvents({ name: pod.name });
    return describePod(
      pod,
      recent(events, (event) => event.object === `pod/${pod.name}`),
      now,
    );
  }
  const node = (await client.listNodes()).find((candidate) => candidate.name === name);
  if (!node) throw notFound(kind, name);
  const [pods, events] = await Promise.all([
    client.listPods({ node: name }),
    client.listEvents({ name: `node/${name}` }),
  ]);
  return describeNode(
    node,
    pods,
    recent(events, (event) => event.object === `node/${name}`),
    now,
  );
}

export function registerDescribe(program: Command, io: CliIo): void {
  program
    .command("describe")
    .description(
      "show one deployment, pod or node in detail: spec, status, conditions, rollout, pods, events",
    )
    .argument("<type>", "deployment (deploy), pod (po) or node (no); also TYPE/NAME")
    .argument("[name]", "the object's name (a pod's name or id)")
    .action(async (type: string, name: string | undefined, _flags: unknown, self: Command) => {
      const object = describedObject(type, name);
      const client = apiClientFor(self, io);
      io.out(await describe(client, object.kind, object.name, io.now()));
    });
}

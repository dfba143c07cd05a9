// Nodes: GET /nodes (registrations merged with user settings, with pods and allocation), cordon, uncordon
// and labels (kept in /nodeconfig, so they survive worker restarts), DELETE of a node whose worker is gone (its
// settings and pod subnet go), and POST /pods/:id/eviction for drains.
import type { FastifyInstance, FastifyReply } from "fastify";
import { ConflictError, NotFoundError, ValidationError } from "../../core/errors.js";
import type { NodeConfig } from "../../core/node-config.js";
import type { Deployment, NodeInfo, Pod } from "../../core/types.js";
import { validateLabels } from "../../core/validation.js";
import type { EventSink } from "../../events/event-recorder.js";
import type { NodeSubnet } from "../../network/records.js";
import { subnetReleaseOps } from "../../network/subnet-allocator.js";
import { keys } from "../../store/keys.js";
import { podDeleteOps } from "../../store/pod-ops.js";
import { baseName, type TxOp } from "../../store/store.js";
import type { ApiStore } from "../deadline-store.js";
import { evictionDecision } from "../eviction.js";
import { type NodeView, nodeViews } from "../node-view.js";
import { validatorsFor } from "../validators.js";

const SEGMENT = /^[A-Za-z0-9._-]+$/;
const CAS_ATTEMPTS = 5;

function segment(value: unknown, field: string): string {
  if (typeof value !== "string" || !SEGMENT.test(value) || value === "." || value === "..") {
    throw new ValidationError(field, "must be 1 or more of letters, digits, '.', '_' and '-'");
  }
  return value;
}

const byNodeName = validatorsFor({
  params: (data) => ({ name: segment((data as { name?: unknown }).name, "name") }),
});
const byPodId = validatorsFor({ params: (data) => ({ id: segment((data as { id?: unknown }).id, "id") }) });
const nameParams = { type: "object", properties: { name: { type: "string" } } } as const;
const idParams = { type: "object", properties: { id: { type: "string" } } } as const;

/** `{labels: {key: "value" | null}}`: null removes the label. */
function labelChanges(body: unknown): Record<string, string | null> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new ValidationError("body", "must be an object {labels: {key: value | null}}");
  }
  const { labels, ...rest } = body as Record<string, unknown>;
  const unknown = Object.keys(rest)[0];
  if (unknown !== undefined) throw new ValidationError(unknown, "unknown field; expected only labels");
  if (typeof labels !== "object" || labels === null || Array.isArray(labels)) {
    throw new ValidationError("labels", "must be an object mapping label keys to a string or null");
  }
  const entries = Object.entries(labels as Record<string, unknown>);
  const set = validateLabels(Object.fromEntries(entries.filter(([, value]) => value !== null)));
  const removed = validateLabels(
    Object.fromEntries(entries.filter(([, value]) => value === null).map(([key]) => [key, ""])),
  );
  return { ...set, ...Object.fromEntries(Object.keys(removed).map((key) => [key, null])) };
}

export function nodeRoutes(app: FastifyInstance, store: ApiStore, events: EventSink): void {
  async function views(): Promise<NodeView[]> {
    const [registrations, configs, pods, subnets] = await Promise.all([
      store.list<NodeInfo>(keys.nodes),
      store.list<NodeConfig>(keys.nodeConfigs),
      store.list<Pod>(keys.pods),
      store.list<NodeSubnet>(keys.nodeSubnets),
    ]);
    return nodeViews(
      registrations.map((entry) => entry.value),
      new Map(configs.map((entry) => [baseName(entry.key), entry.value])),
      pods.map((entry) => entry.value),
      new Map(subnets.map((entry) => [baseName(entry.key), entry.value])),
    );
  }

  async function viewOf(name: string): Promise<NodeView> {
    const found = (await views()).find((node) => node.name === name);
    if (!found) throw new NotFoundError(`node "${name}" not found`);
    return found;
  }

  /** Applies `change` to the node's config with compare-and-set, retried when another writer got there first. */
  async function updateConfig(name: string, change: (config: NodeConfig) => NodeConfig): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      const [registration, current] = await Promise.all([
        store.get<NodeInfo>(keys.node(name)),
        store.get<NodeConfig>(keys.nodeConfig(name)),
      ]);
      if (!registration && !current) throw new NotFoundError(`node "${name}" not found`);
      const next = change(current?.value ?? {});
      if (JSON.stringify(next) === JSON.stringify(current?.value ?? {})) return false;
      try {
        if (current) await store.set(keys.nodeConfig(name), next, current.version);
        else await store.create(keys.nodeConfig(name), next);
        return true;
      } catch (error) {
        if (!(error instanceof ConflictError) || attempt + 1 >= CAS_ATTEMPTS) throw error;
      }
    }
  }

  app.get("/nodes", async (): Promise<NodeView[]> => views());

  const cordonRoute = (path: string, unschedulable: boolean) =>
    app.put<{ Params: { name: string } }>(
      path,
      { schema: { params: nameParams }, validatorCompiler: byNodeName },
      async (request): Promise<{ changed: boolean; node: NodeView }> => {
        const { name } = request.params;
        const changed = await updateConfig(name, ({ unschedulable: _old, ...rest }) =>
          unschedulable ? { ...rest, unschedulable: true } : rest,
        );
        if (changed) {
          events.record({
            type: "Normal",
            reason: unschedulable ? "Cordoned" : "Uncordoned",
            object: `node/${name}`,
            message: unschedulable ? "marked unschedulable" : "marked schedulable",
          });
        }
        return { changed, node: await viewOf(name) };
      },
    );
  cordonRoute("/nodes/:name/cordon", true);
  cordonRoute("/nodes/:name/uncordon", false);

  // An operator removes a node for good: its settings and its pod subnet (handed to the next new node). Only
  // once its worker is gone, or the worker would keep using a subnet another node may get.
  app.delete<{ Params: { name: string } }>(
    "/nodes/:name",
    { schema: { params: nameParams }, validatorCompiler: byNodeName },
    async (request): Promise<{ name: string; podSubnet?: string }> => {
      const { name } = request.params;
      for (let attempt = 0; ; attempt++) {
        const [registration, config] = await Promise.all([
          store.get<NodeInfo>(keys.node(name)),
          store.get<NodeConfig>(keys.nodeConfig(name)),
        ]);
        if (registration) {
          throw new ConflictError(
            `node "${name}" is registered: stop its worker first, then delete the node`,
          );
        }
        const release = await subnetReleaseOps(store, name);
        const ops: TxOp[] = [...release.ops];
        if (config) ops.push({ op: "delete", key: keys.nodeConfig(name), version: config.version });
        if (ops.length === 0) throw new NotFoundError(`node "${name}" not found`);
        try {
          await store.transaction(ops);
        } catch (error) {
          if (
            !(error instanceof ConflictError || error instanceof NotFoundError) ||
            attempt + 1 >= CAS_ATTEMPTS
          ) {
            throw error;
          }
          continue;
        }
        events.record({
          type: "Normal",
          reason: "Removed",
          object: `node/${name}`,
          message: release.subnet ? `removed; pod subnet ${release.subnet} released` : "removed",
        });
        return release.subnet ? { name, podSubnet: release.subnet } : { name };
      }
    },
  );

  app.patch<{ Params: { name: string }; Body: Record<string, string | null> }>(
    "/nodes/:name/labels",
    {
      schema: { params: nameParams, body: { type: "object" } },
      validatorCompiler: validatorsFor({
        params: (data) => ({ name: segment((data as { name?: unknown }).name, "name") }),
        body: labelChanges,
      }),
    },
    async (request): Promise<NodeView> => {
      const { name } = request.params;
      await updateConfig(name, (config) => {
        const labels = { ...config.labels, ...request.body };
        return { ...config, labels };
      });
      return viewOf(name);
    },
  );

  app.post<{ Params: { id: string } }>(
    "/pods/:id/eviction",
    { schema: { params: idParams }, validatorCompiler: byPodId },
    async (request, reply: FastifyReply) => {
      const { id } = request.params;
      const entry = await store.get<Pod>(keys.pod(id));
      if (!entry) throw new NotFoundError(`pod "${id}" not found`);
      const pod = entry.value;
      const [deployment, pods] = await Promise.all([
        store.get<Deployment>(keys.deployment(pod.deployment)),
        store.list<Pod>(keys.pods),
      ]);
      const decision = evictionDecision(
        pod,
        deployment?.value,
        pods.map((e) => e.value),
      );
      if (!decision.allowed) {
        reply.header("retry-after", "1");
        return reply.status(429).send({ error: "TooManyRequests", message: decision.message });
      }
      // At the version read: a pod that changed meanwhile (say, became unready) is decided again.
      try {
        await store.transaction(podDeleteOps(pod, entry.version));
      } catch (error) {
        if (error instanceof NotFoundError) throw new NotFoundError(`pod "${id}" not found`);
        if (!(error instanceof ConflictError)) throw error;
        reply.header("retry-after", "1");
        return reply
          .status(429)
          .send({ error: "TooManyRequests", message: `pod/${pod.name} changed: try again` });
      }
      events.record({
        type: "Normal",
        reason: "Evicted",
        object: `pod/${pod.name}`,
        deployment: pod.deployment,
        message: pod.node === undefined ? "evicted" : `evicted from node ${pod.node}`,
      });
      // The last pod evicted from a cordoned node completes a drain (`orchestra drain` evicts one by one).
      const node = pod.node;
      if (node !== undefined && !pods.some((e) => e.value.node === node && e.value.id !== id)) {
        const config = await store.get<NodeConfig>(keys.nodeConfig(node));
        if (config?.value.unschedulable) {
          events.record({
            type: "Normal",
            reason: "Drained",
            object: `node/${node}`,
            message: "no pods left",
          });
        }
      }
      return { id, name: pod.name, node: pod.node };
    },
  );
}

// Nodes: GET /nodes (registrations merged with user settings, with pods and allocation), cordon, uncordon
// and labels (kept in /nodeconfig, so they survive worker restarts), DELETE of a node whose worker is gone (its
// settings and pod subnet go), and POST /pods/:id/eviction for drains.
import Type from "typebox";
import { isStoreConflict, retryOnConflict } from "../../core/conflict-retry.js";
import { ConflictError, NotFoundError } from "../../core/errors.js";
import type { NodeConfig } from "../../core/node-config.js";
import {
  CordonResult,
  NodeLabelsPatch,
  NodeNameParams,
  NodeRemoved,
  NodeView as NodeViewSchema,
} from "../../core/schemas/node.js";
import { EvictionResult, PodIdParams } from "../../core/schemas/pod.js";
import type { NodeInfo, NodeView, Pod } from "../../core/types.js";
import type { EventSink } from "../../events/event-recorder.js";
import type { NodeSubnet } from "../../network/records.js";
import { subnetReleaseOps } from "../../network/subnet-allocator.js";
import { compareAndSet, NO_CHANGE } from "../../store/compare-and-set.js";
import { keys } from "../../store/keys.js";
import { baseName, type TxOp } from "../../store/store.js";
import type { ApiApp } from "../api-app.js";
import type { ApiStore } from "../deadline-store.js";
import { nodeViews } from "../node-view.js";
import { evictPod } from "../pod-eviction.js";
import { BODY_ERRORS, described, STORE_ERRORS, withErrors } from "../responses.js";

const NO_NODE = "No such node.";

export function nodeRoutes(app: ApiApp, store: ApiStore, events: EventSink): void {
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
    const { written } = await compareAndSet<NodeConfig, NodeInfo | undefined>(
      store,
      keys.nodeConfig(name),
      (current, registration) => {
        if (!registration && !current) throw new NotFoundError(`node "${name}" not found`);
        const next = change(current?.value ?? {});
        return JSON.stringify(next) === JSON.stringify(current?.value ?? {}) ? NO_CHANGE : next;
      },
      { context: async () => (await store.get<NodeInfo>(keys.node(name)))?.value },
    );
    return written;
  }

  app.get(
    "/nodes",
    {
      schema: {
        summary: "List nodes",
        response: withErrors(
          {
            200: Type.Array(NodeViewSchema, {
              description:
                "Registered nodes with user settings (cordon, labels) applied, pods and allocation; configured nodes whose worker is gone, as not ready.",
            }),
          },
          STORE_ERRORS,
        ),
      },
    },
    async () => views(),
  );

  const cordonRoute = (path: string, unschedulable: boolean) =>
    app.put(
      path,
      {
        schema: {
          summary: unschedulable
            ? "Cordon a node: no new pods go there (kept across worker restarts)"
            : "Uncordon a node",
          params: NodeNameParams,
          response: withErrors({ 200: CordonResult }, { ...STORE_ERRORS, ...BODY_ERRORS, 404: NO_NODE }),
        },
      },
      async (request) => {
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
  // once its worker is gone, or the worker would keep using a subnet another node may get. Several keys go in
  // one transaction at the versions read; a lost race reads and decides again (the one retry policy).
  app.delete(
    "/nodes/:name",
    {
      schema: {
        summary: "Remove a node whose worker is gone: its settings, and its pod subnet, released",
        params: NodeNameParams,
        response: withErrors(
          { 200: NodeRemoved },
          {
            ...STORE_ERRORS,
            ...BODY_ERRORS,
            404: NO_NODE,
            409: "The node's worker is registered: stop it first; or the removal kept losing races.",
          },
        ),
      },
    },
    async (request) => {
      const { name } = request.params;
      const release = await retryOnConflict(
        async () => {
          const [registration, config, release] = await Promise.all([
            store.get<NodeInfo>(keys.node(name)),
            store.get<NodeConfig>(keys.nodeConfig(name)),
            subnetReleaseOps(store, name),
          ]);
          if (registration) {
            throw new RegisteredNode(
              `node "${name}" is registered: stop its worker first, then delete the node`,
            );
          }
          const ops: TxOp[] = [...release.ops];
          if (config) ops.push({ op: "delete", key: keys.nodeConfig(name), version: config.version });
          if (ops.length === 0) throw new NotFoundError(`node "${name}" not found`);
          try {
            await store.transaction(ops);
          } catch (error) {
            // A key gone meanwhile is a lost race too: the next attempt decides on what is left.
            throw error instanceof NotFoundError ? new ConflictError(error.message) : error;
          }
          return release;
        },
        { isConflict: (error) => isStoreConflict(error) && !(error instanceof RegisteredNode) },
      );
      events.record({
        type: "Normal",
        reason: "Removed",
        object: `node/${name}`,
        message: release.subnet ? `removed; pod subnet ${release.subnet} released` : "removed",
      });
      return release.subnet ? { name, podSubnet: release.subnet } : { name };
    },
  );

  app.patch(
    "/nodes/:name/labels",
    {
      schema: {
        summary: "Set (string) or remove (null) node labels, on top of the worker's --label ones",
        params: NodeNameParams,
        body: NodeLabelsPatch,
        response: withErrors(
          { 200: described(NodeViewSchema, "The node with its labels.") },
          { ...STORE_ERRORS, ...BODY_ERRORS, 404: NO_NODE },
        ),
      },
    },
    async (request) => {
      const { name } = request.params;
      await updateConfig(name, (config) => {
        const labels = { ...config.labels, ...request.body.labels };
        return { ...config, labels };
      });
      return viewOf(name);
    },
  );

  app.post(
    "/pods/:id/eviction",
    {
      schema: {
        summary: "Evict a pod (delete it; its deployment replaces it), as drains do",
        params: PodIdParams,
        response: withErrors(
          { 200: EvictionResult },
          {
            ...STORE_ERRORS,
            ...BODY_ERRORS,
            404: "No such pod.",
            429: "Not now: the deployment would drop below replicas - maxUnavailable ready pods (a percentage rounded up, as for Kubernetes' disruption budgets). Retry after the Retry-After seconds.",
          },
        ),
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const outcome = await evictPod(store, id);
      if (!outcome.evicted) {
        reply.header("retry-after", "1");
        return reply.status(429).send({ error: "TooManyRequests", message: outcome.message });
      }
      const { pod, others } = outcome;
      events.record({
        type: "Normal",
        reason: "Evicted",
        object: `pod/${pod.name}`,
        deployment: pod.deployment,
        message: pod.node === undefined ? "evicted" : `evicted from node ${pod.node}`,
      });
      // The last pod evicted from a cordoned node completes a drain (`orchestra drain` evicts one by one).
      const node = pod.node;
      if (node !== undefined && !others.some((other) => other.node === node)) {
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

/** A registered node cannot be removed: a ConflictError, but not a lost race to retry. */
class RegisteredNode extends ConflictError {}

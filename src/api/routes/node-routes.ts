// Nodes: GET /nodes (registrations merged with user settings, with pods and allocation), cordon, uncordon
// and labels (kept in /nodeconfig, so they survive worker restarts), and POST /pods/:id/eviction for drains.
import Type from "typebox";
import { NotFoundError } from "../../core/errors.js";
import type { NodeConfig } from "../../core/node-config.js";
import {
  CordonResult,
  NodeLabelsPatch,
  NodeNameParams,
  NodeView as NodeViewSchema,
} from "../../core/schemas/node.js";
import { EvictionResult, PodIdParams } from "../../core/schemas/pod.js";
import type { NodeInfo, NodeView, Pod } from "../../core/types.js";
import type { EventSink } from "../../events/event-recorder.js";
import { compareAndSet, NO_CHANGE } from "../../store/compare-and-set.js";
import { keys } from "../../store/keys.js";
import { baseName } from "../../store/store.js";
import type { ApiApp } from "../api-app.js";
import type { ApiStore } from "../deadline-store.js";
import { nodeViews } from "../node-view.js";
import { evictPod } from "../pod-eviction.js";
import { BODY_ERRORS, described, STORE_ERRORS, withErrors } from "../responses.js";

const NO_NODE = "No such node.";

export function nodeRoutes(app: ApiApp, store: ApiStore, events: EventSink): void {
  async function views(): Promise<NodeView[]> {
    const [registrations, configs, pods] = await Promise.all([
      store.list<NodeInfo>(keys.nodes),
      store.list<NodeConfig>(keys.nodeConfigs),
      store.list<Pod>(keys.pods),
    ]);
    return nodeViews(
      registrations.map((entry) => entry.value),
      new Map(configs.map((entry) => [baseName(entry.key), entry.value])),
      pods.map((entry) => entry.value),
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

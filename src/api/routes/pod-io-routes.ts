// What reaches into pods, served by asking their nodes' endpoints (node-proxy.ts): GET /pods/{id}/log,
// GET /deployments/{name}/log (every pod's lines, each prefixed `[pod] `), GET /pods/{id}/exec (a WebSocket
// relayed message by message to the node's) and GET /usage/pods|nodes (`orchestra top`).
import { PassThrough, Readable } from "node:stream";
import type { FastifyRequest } from "fastify";
import Type, { type Static } from "typebox";
import type { Response } from "undici";
import type { WebSocket } from "ws";
import { DeploymentNameParams } from "../../core/schemas/deployment.js";
import {
  ExecQuery,
  LogQuery,
  type NodeEndpointUsage,
  NodeUsage,
  PodRefParams,
  PodUsage,
  PodUsageQuery,
} from "../../core/schemas/pod-io.js";
import type { NodeInfo, Pod } from "../../core/types.js";
import { headFirst } from "../../node-endpoint/pod-log-stream.js";
import { keys } from "../../store/keys.js";
import type { ApiApp } from "../api-app.js";
import type { ApiStore } from "../deadline-store.js";
import { type HeldSocket, type NodeProxy, pinnedEndpointOf } from "../node-proxy.js";
import { STORE_ERRORS, withErrors } from "../responses.js";

const POD_ERRORS = {
  ...STORE_ERRORS,
  400: "A bad query parameter; the message names it.",
  404: "No such pod (or the pod left its node).",
  409: "The pod is not on a node yet, or has no container (or no previous one) there.",
  429: "The node has as many log streams or exec sessions open as it allows.",
  503: "The store, or the pod's node endpoint, is unreachable.",
};

const LogText = Type.String({
  description: "The lines, as text/plain; streamed as they are written with `follow`.",
});
/** The 200 answer is text; errors stay JSON (so only the 200 names its content type). */
const LogAnswer = {
  "x-response-description": "The pod's output, line by line.",
  content: { "text/plain": { schema: LogText } },
} as unknown as typeof LogText;

/** The query string a node endpoint takes for `query` (the same parameters). */
function queryOf(query: Record<string, unknown>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined || value === false) continue;
    for (const one of Array.isArray(value) ? value : [value]) params.append(name, String(one));
  }
  return params.toString();
}

export function podIoRoutes(app: ApiApp, store: ApiStore, proxy: NodeProxy): void {
  app.get(
    "/pods/:id/log",
    {
      config: { role: "deployer" },
      schema: {
        summary: "A pod's output (stdout and stderr), from its node; with follow=true, streamed",
        params: PodRefParams,
        querystring: LogQuery,
        response: withErrors({ 200: LogAnswer }, POD_ERRORS),
      },
    },
    async (request, reply) => {
      const pod = await proxy.findPod(request.params.id);
      const { endpoint } = await proxy.target(pod);
      const abort = new AbortController();
      reply.raw.on("close", () => abort.abort());
      const answer = await proxy.get(endpoint, `/pods/${pod.id}/log?${queryOf(request.query)}`, abort.signal);
      return reply.type("text/plain; charset=utf-8").send(streamed(headFirst(bodyOf(answer))));
    },
  );

  app.get(
    "/deployments/:name/log",
    {
      config: { role: "deployer" },
      schema: {
        summary:
          "Every pod's output of a deployment, each line prefixed with `[pod] `, as `docker service logs`",
        params: DeploymentNameParams,
        querystring: Type.Omit(LogQuery, ["previous"]),
        response: withErrors({ 200: LogAnswer }, { ...POD_ERRORS, 404: "No such deployment." }),
      },
    },
    async (request, reply) => {
      const { name } = request.params;
      if (!(await store.get(keys.deployment(name)))) {
        return reply.status(404).send({ error: "NotFound", message: `deployment "${name}" not found` });
      }
      const pods = (await store.list<Pod>(keys.pods))
        .map((entry) => entry.value)
        .filter((pod) => pod.deployment === name && pod.node !== undefined)
        .sort((a, b) => a.name.localeCompare(b.name));
      const abort = new AbortController();
      reply.raw.on("close", () => abort.abort());
      const merged = new PassThrough();
      let open = pods.length;
      const done = () => {
        if (--open <= 0) merged.end();
      };
      if (open === 0) merged.end();
      for (const pod of pods) {
        prefixed(pod, request.query, merged, abort.signal).finally(done);
      }
      return reply.type("text/plain; charset=utf-8").send(streamed(headFirst(merged)));
    },
  );

  /** Copies one pod's lines into `out`, each after `[name] `; a pod that cannot be read says why, once. */
  async function prefixed(
    pod: Pod,
    query: Record<string, unknown>,
    out: PassThrough,
    signal: AbortSignal,
  ): Promise<void> {
    const prefix = `[${pod.name}] `;
    try {
      const { endpoint } = await proxy.target(pod);
      const answer = await proxy.get(endpoint, `/pods/${pod.id}/log?${queryOf(query)}`, signal);
      let partial = "";
      for await (const chunk of bodyOf(answer)) {
        const lines = (partial + (chunk as Buffer).toString("utf8")).split(/(?<=\n)/);
        partial = lines.at(-1)?.endsWith("\n") ? "" : (lines.pop() ?? "");
        for (const line of lines) out.write(prefix + line);
      }
      if (partial !== "") out.write(`${prefix}${partial}\n`);
    } catch (err) {
      if (!signal.aborted) out.write(`${prefix}--- orchestra: no logs: ${(err as Error).message} ---\n`);
    }
  }

  app.get(
    "/pods/:id/exec",
    {
      config: { role: "admin" },
      websocket: true,
      schema: {
        summary: "Runs a command in a pod's container: a WebSocket with subprotocol v5.channel.k8s.io",
        params: PodRefParams,
        querystring: ExecQuery,
        response: withErrors({}, POD_ERRORS),
      },
      // Before the upgrade: a pod that is not there, or a node that refuses, is an HTTP status.
      preHandler: async (request) => {
        const pod = await proxy.findPod(request.params.id);
        const { endpoint } = await proxy.target(pod);
        const path = `/pods/${pod.id}/exec?${queryOf(request.query)}`;
        (request as UpstreamRequest).upstream = await proxy.openSocket(endpoint, path);
      },
    },
    (socket, request) => relay(socket, (request as UpstreamRequest).upstream as HeldSocket),
  );

  app.get(
    "/usage/pods",
    {
      config: { role: "viewer" },
      schema: {
        summary: "CPU and memory each running pod's container uses now (`orchestra top pods`)",
        querystring: PodUsageQuery,
        response: withErrors({ 200: Type.Array(PodUsage) }, STORE_ERRORS),
      },
    },
    async (request) => {
      const { deployment, node } = request.query;
      const pods = (await store.list<Pod>(keys.pods))
        .map((entry) => entry.value)
        .filter(
          (pod) => pod.node && (!deployment || pod.deployment === deployment) && (!node || pod.node === node),
        )
        .filter((pod) => pod.status.phase === "Running");
      const usage = await usageByNode(new Set(pods.map((pod) => pod.node as string)));
      return pods
        .map((pod) => {
          const answer = usage.get(pod.node as string);
          const base = { name: pod.name, id: pod.id, deployment: pod.deployment, node: pod.node as string };
          if (answer instanceof Error) return { ...base, error: answer.message };
          const figures = answer?.pods.find((p) => p.id === pod.id);
          if (figures?.cpu === undefined) return { ...base, error: "no figures from its node yet" };
          return { ...base, cpu: figures.cpu, memory: figures.memory };
        })
        .sort((a, b) => a.name.localeCompare(b.name));
    },
  );

  app.get(
    "/usage/nodes",
    {
      config: { role: "viewer" },
      schema: {
        summary: "CPU and memory each node's pods use now (`orchestra top nodes`)",
        response: withErrors({ 200: Type.Array(NodeUsage) }, STORE_ERRORS),
      },
    },
    async () => {
      const nodes = (await store.list<NodeInfo>(keys.nodes)).map((entry) => entry.value);
      const usage = await usageByNode(new Set(nodes.map((node) => node.name)));
      return nodes
        .map((node) => {
          const answer = usage.get(node.name);
          const base = { name: node.name, capacity: node.capacity };
          if (!answer || answer instanceof Error) {
            return { ...base, pods: 0, error: answer?.message ?? "no answer" };
          }
          const sum = (field: "cpu" | "memory") =>
            answer.pods.reduce((total, pod) => total + (pod[field] ?? 0), 0);
          return {
            ...base,
            cpu: sum("cpu"),
            memory: sum("memory"),
            pods: answer.pods.length,
            sampledAt: answer.sampledAt,
          };
        })
        .sort((a, b) => a.name.localeCompare(b.name));
    },
  );

  /** Each node's GET /usage, or why it has none. */
  async function usageByNode(names: Set<string>): Promise<Map<string, EndpointUsage | Error>> {
    const answers = await Promise.all(
      [...names].map(async (name): Promise<[string, EndpointUsage | Error]> => {
        try {
          const node = (await store.get<NodeInfo>(keys.node(name)))?.value;
          if (!node) return [name, new Error(`node ${name} is not registered`)];
          const answer = await proxy.get(pinnedEndpointOf(node), "/usage");
          return [name, (await answer.json()) as EndpointUsage];
        } catch (err) {
          return [name, err as Error];
        }
      }),
    );
    return new Map(answers);
  }
}

type EndpointUsage = Static<typeof NodeEndpointUsage>;
type UpstreamRequest = FastifyRequest & { upstream?: HeldSocket };

/** A stream as the body of a route whose schema documents the text it carries. */
function streamed(stream: Readable): string {
  // The typed reply knows the schema's string only; Fastify sends a stream as it comes.
  return stream as unknown as string;
}

function bodyOf(answer: Response): Readable {
  // biome-ignore lint/suspicious/noExplicitAny: fetch's web stream type and node:stream/web's differ in name only.
  return answer.body ? Readable.fromWeb(answer.body as any) : Readable.from([]);
}

/** Passes messages both ways, as they are; either side closing closes the other. */
function relay(client: WebSocket, node: HeldSocket): void {
  const upstream = node.socket;
  client.on("message", (data: Buffer, isBinary: boolean) => {
    if (upstream.readyState === upstream.OPEN) upstream.send(data, { binary: isBinary });
  });
  const toClient = (data: Buffer, isBinary: boolean) => {
    if (client.readyState === client.OPEN) client.send(data, { binary: isBinary });
  };
  node.release();
  for (const message of node.messages.splice(0)) toClient(message.data, message.isBinary);
  upstream.on("message", toClient);
  const closeBoth = (code?: number) => {
    const valid = code !== undefined && code >= 1000 && code < 5000 && code !== 1005 && code !== 1006;
    for (const socket of [client, upstream]) {
      if (socket.readyState === socket.OPEN) socket.close(valid ? code : 1000);
    }
  };
  client.on("close", (code) => closeBoth(code));
  upstream.on("close", (code) => closeBoth(code));
  if (node.closed !== undefined) closeBoth(node.closed);
  client.on("error", () => upstream.terminate());
  upstream.on("error", () => client.terminate());
}

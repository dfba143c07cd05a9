// How an API server reaches into pods: it finds the pod's node in the store, and that node's endpoint (the URL
// its worker registered), and calls it with the server's own credential (endpoint-credentials.ts). Users never
// talk to a worker, and no Docker socket leaves its machine. Node endpoints are reached by address and port, so
// a pod on another machine is served the same way as one on this one.
import { WebSocket } from "ws";
import { ConflictError, NotFoundError, UnavailableError } from "../core/errors.js";
import { EXEC_PROTOCOL } from "../core/exec-channels.js";
import type { NodeInfo, Pod } from "../core/types.js";
import type { EndpointClientCredential } from "../node-endpoint/endpoint-credentials.js";
import { keys } from "../store/keys.js";
import type { ApiStore } from "./deadline-store.js";
import { httpErrorFromStatus } from "./errors.js";

/** How long connecting to a node endpoint (and its first answer) may take. */
export const NODE_CONNECT_TIMEOUT_MS = 5000;

export interface NodeTarget {
  pod: Pod;
  node: NodeInfo;
  endpoint: string;
}

export class NodeProxy {
  constructor(
    private readonly store: ApiStore,
    private readonly credential: EndpointClientCredential,
  ) {}

  /** A pod by name (`web-x5w4w`) or id. */
  async findPod(ref: string): Promise<Pod> {
    const byId = await this.store.get<Pod>(keys.pod(ref));
    if (byId) return byId.value;
    const pods = await this.store.list<Pod>(keys.pods);
    const byName = pods.find((entry) => entry.value.name === ref);
    if (!byName) throw new NotFoundError(`pod "${ref}" not found`);
    return byName.value;
  }

  /** The pod, its node and the node's endpoint; a Conflict while the pod has no node or the node no endpoint. */
  async target(pod: Pod): Promise<NodeTarget> {
    if (!pod.node) throw new ConflictError(`pod "${pod.name}" is not on a node yet`);
    const node = (await this.store.get<NodeInfo>(keys.node(pod.node)))?.value;
    if (!node) throw new UnavailableError(`pod "${pod.name}": its node ${pod.node} is not registered`);
    if (!node.endpoint) {
      throw new ConflictError(
        `pod "${pod.name}": node ${pod.node} serves no node endpoint (an older worker?)`,
      );
    }
    return { pod, node, endpoint: node.endpoint };
  }

  /** GET on a node endpoint; a refusal becomes the error its status stands for. */
  async get(endpoint: string, path: string, signal?: AbortSignal): Promise<Response> {
    // The time limit is on the answer's head only: a followed log's body goes on as long as the client stays.
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(new Error("timed out")), NODE_CONNECT_TIMEOUT_MS);
    const onAbort = () => abort.abort(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    const answer = await fetch(`${endpoint}${path}`, {
      headers: { authorization: this.credential.authorization },
      signal: abort.signal,
    })
      .catch((err: Error) => {
        signal?.removeEventListener("abort", onAbort);
        throw new UnavailableError(`node endpoint ${endpoint} did not answer: ${causeOf(err)}`);
      })
      .finally(() => clearTimeout(timer));
    if (answer.ok) return answer;
    const body = (await answer.json().catch(() => ({}))) as { message?: string };
    throw httpErrorFromStatus(
      answer.status,
      body.message ?? `node endpoint ${endpoint} answered ${answer.status}`,
    );
  }

  /** A WebSocket to a node endpoint, open, its messages held until released; a refused upgrade becomes the error its status stands for. */
  openSocket(endpoint: string, path: string): Promise<HeldSocket> {
    const socket = new WebSocket(`${endpoint.replace(/^http/, "ws")}${path}`, [EXEC_PROTOCOL], {
      headers: { authorization: this.credential.authorization },
      handshakeTimeout: NODE_CONNECT_TIMEOUT_MS,
    });
    // Kept from the start: ws may hand over the first messages in the same turn as the upgrade's answer.
    const kept = held(socket);
    return new Promise((resolve, reject) => {
      socket.once("open", () => resolve(kept));
      socket.once("unexpected-response", (request, response) => {
        let text = "";
        response.on("data", (chunk: Buffer) => {
          text += chunk.toString();
        });
        response.on("end", () => {
          request.destroy();
          let message = `node endpoint ${endpoint} answered ${response.statusCode}`;
          try {
            message = (JSON.parse(text) as { message?: string }).message ?? message;
          } catch {}
          reject(httpErrorFromStatus(response.statusCode ?? 502, message));
        });
      });
      socket.once("error", (err) =>
        reject(new UnavailableError(`node endpoint ${endpoint} did not answer: ${causeOf(err)}`)),
      );
    });
  }
}

/** A node's socket whose messages (and close) are kept until the client's socket is there to take them. */
export interface HeldSocket {
  socket: WebSocket;
  messages: { data: Buffer; isBinary: boolean }[];
  closed?: number;
  release(): void;
}

function held(socket: WebSocket): HeldSocket {
  const kept: HeldSocket = { socket, messages: [], release: () => {} };
  const onMessage = (data: Buffer, isBinary: boolean) => kept.messages.push({ data, isBinary });
  const onClose = (code: number) => {
    kept.closed = code;
  };
  socket.on("message", onMessage);
  socket.on("close", onClose);
  kept.release = () => {
    socket.off("message", onMessage);
    socket.off("close", onClose);
  };
  return kept;
}

function causeOf(err: Error): string {
  const cause = (err as Error & { cause?: Error }).cause;
  return cause?.message ?? err.message;
}

// How an API server reaches into pods: it finds the pod's node in the store, and that node's endpoint (the URL
// and certificate its worker registered), and calls it over TLS, accepting only that certificate
// (endpoint-pinning.ts), with the server's own credential (endpoint-credentials.ts). Users never talk to a
// worker, and no Docker socket leaves its machine. Node endpoints are reached by address and port, so a pod on
// another machine is served the same way as one on this one. An endpoint without TLS is never called.
import { fetch, type Response } from "undici";
import { WebSocket } from "ws";
import { ConflictError, NotFoundError, UnavailableError } from "../core/errors.js";
import { EXEC_PROTOCOL } from "../core/exec-channels.js";
import type { NodeInfo, Pod } from "../core/types.js";
import type { EndpointClientCredential } from "../node-endpoint/endpoint-credentials.js";
import {
  CERT_MISMATCH,
  PinnedAgents,
  type PinnedEndpoint,
  pinnedTlsOptions,
} from "../node-endpoint/endpoint-pinning.js";
import { keys } from "../store/keys.js";
import { UNTRUSTED_CERTIFICATE } from "../tls/untrusted-certificate.js";
import type { ApiStore } from "./deadline-store.js";
import { httpErrorFromStatus } from "./errors.js";

/** How long connecting to a node endpoint (and its first answer) may take. */
export const NODE_CONNECT_TIMEOUT_MS = 5000;

export interface NodeTarget {
  pod: Pod;
  node: NodeInfo;
  endpoint: PinnedEndpoint;
}

/** A node's endpoint as registered; an error naming the node when it has none, or one without TLS. */
export function pinnedEndpointOf(node: NodeInfo): PinnedEndpoint {
  if (!node.endpoint) throw new ConflictError(`node ${node.name} serves no node endpoint (an older worker?)`);
  if (!node.endpoint.startsWith("https://") || !node.endpointCertificate) {
    throw new ConflictError(
      `node ${node.name} registered its endpoint without a TLS certificate (an older worker?): it is not called over plain HTTP`,
    );
  }
  return { node: node.name, url: node.endpoint, certificate: node.endpointCertificate };
}

export class NodeProxy {
  private agents?: Promise<PinnedAgents>;

  constructor(
    private readonly store: ApiStore,
    private readonly credential: Pick<EndpointClientCredential, "authorization" | "clientCertificate">,
  ) {}

  /** Lets go of the connections to node endpoints. */
  async close(): Promise<void> {
    await (await this.agents)?.close();
  }

  /** The connection pools, which present the server's client certificate (made once, at first use). */
  private pools(): Promise<PinnedAgents> {
    this.agents ??= this.credential
      .clientCertificate()
      .then((client) => new PinnedAgents(NODE_CONNECT_TIMEOUT_MS, client));
    return this.agents;
  }

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
    try {
      return { pod, node, endpoint: pinnedEndpointOf(node) };
    } catch (err) {
      if (err instanceof ConflictError) throw new ConflictError(`pod "${pod.name}": ${err.message}`);
      throw err;
    }
  }

  /** GET on a node endpoint; a refusal becomes the error its status stands for. */
  async get(endpoint: PinnedEndpoint, path: string, signal?: AbortSignal): Promise<Response> {
    const agents = await this.pools();
    // The time limit is on the answer's head only: a followed log's body goes on as long as the client stays.
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(new Error("timed out")), NODE_CONNECT_TIMEOUT_MS);
    const onAbort = () => abort.abort(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    const answer = await fetch(`${endpoint.url}${path}`, {
      headers: { authorization: this.credential.authorization },
      signal: abort.signal,
      dispatcher: agents.for(endpoint),
    })
      .catch((err: Error) => {
        signal?.removeEventListener("abort", onAbort);
        throw unreachable(endpoint, err);
      })
      .finally(() => clearTimeout(timer));
    if (answer.ok) return answer;
    const body = (await answer.json().catch(() => ({}))) as { message?: string };
    throw httpErrorFromStatus(
      answer.status,
      body.message ?? `node ${endpoint.node}'s endpoint ${endpoint.url} answered ${answer.status}`,
    );
  }

  /** A WebSocket to a node endpoint, open, its messages held until released; a refused upgrade becomes the error its status stands for. */
  async openSocket(endpoint: PinnedEndpoint, path: string): Promise<HeldSocket> {
    const client = await this.credential.clientCertificate();
    const socket = new WebSocket(`${endpoint.url.replace(/^http/, "ws")}${path}`, [EXEC_PROTOCOL], {
      headers: { authorization: this.credential.authorization },
      handshakeTimeout: NODE_CONNECT_TIMEOUT_MS,
      ...pinnedTlsOptions(endpoint.certificate, client),
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
          let message = `node ${endpoint.node}'s endpoint ${endpoint.url} answered ${response.statusCode}`;
          try {
            message = (JSON.parse(text) as { message?: string }).message ?? message;
          } catch {}
          reject(httpErrorFromStatus(response.statusCode ?? 502, message));
        });
      });
      socket.once("error", (err) => reject(unreachable(endpoint, err)));
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

/** Why a node endpoint could not be used: not there, or not the node that registered (its certificate differs). */
function unreachable(endpoint: PinnedEndpoint, err: Error): UnavailableError {
  const cause = (err as Error & { cause?: Error }).cause ?? err;
  const code = (cause as Error & { code?: string }).code ?? "";
  // The pinned certificate is the one trust anchor: any other fails OpenSSL's check, or ours after it.
  if (UNTRUSTED_CERTIFICATE.has(code) || code === CERT_MISMATCH) {
    return new UnavailableError(
      `node ${endpoint.node}'s endpoint ${endpoint.url} presented a certificate other than the one the node registered: refused (${cause.message})`,
    );
  }
  return new UnavailableError(
    `node ${endpoint.node}'s endpoint ${endpoint.url} did not answer: ${cause.message}`,
  );
}

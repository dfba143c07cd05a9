// HTTP client for the Orchestra API server: one method per route; every failure becomes a CliError
// whose message is fit for the one-line `error: ...` the CLI prints.
import type {
  ClusterEvent,
  ConfigInfo,
  DeploymentSpec,
  DeploymentWithStatus,
  EvictionResult,
  NodeRemoved,
  NodeUsage,
  Pod,
  PodUsage,
  Revision,
  RollbackResult,
  RolloutView,
  SecretInfo,
  NodeView as ServedNode,
  VolumeReport,
} from "../core/types.js";
import { ApiError, CliError } from "./cli-error.js";

// The shapes the API serves are those of its schemas (src/core/schemas/, published at /openapi.json).
export type { RolloutView } from "../core/types.js";

/** Where older servers leave out what the server computes, the CLI copes without it. */
type Computed<T, K extends keyof T> = Omit<T, K> & Partial<Pick<T, K>>;
/** A deployment as `GET /deployments` serves it: the stored object plus counts from its pods. */
export type DeploymentView = Computed<DeploymentWithStatus, "status">;
/** A node as `GET /nodes` serves it, with what the server computes. */
export type NodeView = Computed<ServedNode, "pods" | "unschedulable" | "ready" | "allocated">;

export interface ApiClientOptions {
  /** Base URL, e.g. `http://127.0.0.1:8080`. */
  server: string;
  token?: string;
  /** Per request; default 15 s. */
  timeoutMs?: number;
}

export interface PodFilter {
  deployment?: string;
  node?: string;
}

export interface PutResult {
  deployment: DeploymentView;
  /** true on 201 (a new deployment), false on 200 (an update). */
  created: boolean;
}

interface Answer {
  status: number;
  body: unknown;
}

const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host not found",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ETIMEDOUT: "connection timed out",
  UND_ERR_CONNECT_TIMEOUT: "connection timed out",
  UND_ERR_SOCKET: "connection closed",
};

/** Checks and normalises a server URL: http(s) only, no trailing slash. */
export function normaliseServerUrl(server: string): string {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new CliError(`--server: "${server}" is not a URL (expected e.g. http://127.0.0.1:8080)`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new CliError(`--server: "${server}" must start with http:// or https://`);
  }
  return url.href.replace(/\/+$/, "");
}

export class ApiClient {
  readonly server: string;
  private readonly token: string | undefined;
  private readonly timeoutMs: number;

  constructor(options: ApiClientOptions) {
    this.server = normaliseServerUrl(options.server);
    this.token = options.token === "" ? undefined : options.token;
    this.timeoutMs = options.timeoutMs ?? 15_000;
  }

  async listDeployments(): Promise<DeploymentView[]> {
    return (await this.request("GET", "/deployments")).body as DeploymentView[];
  }

  /** Undefined when there is no such deployment. */
  async findDeployment(name: string): Promise<DeploymentView | undefined> {
    try {
      return (await this.request("GET", `/deployments/${encodeURIComponent(name)}`)).body as DeploymentView;
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return undefined;
      throw error;
    }
  }

  async getDeployment(name: string): Promise<DeploymentView> {
    const deployment = await this.findDeployment(name);
    if (!deployment) throw new ApiError(404, "NotFound", `deployment "${name}" not found`);
    return deployment;
  }

  /** Create or replace. With `ifMatchGeneration` the server answers 409 unless the generation still matches. */
  async putDeployment(
    spec: DeploymentSpec,
    options: { ifMatchGeneration?: number } = {},
  ): Promise<PutResult> {
    const headers: Record<string, string> = {};
    if (options.ifMatchGeneration !== undefined) headers["if-match"] = String(options.ifMatchGeneration);
    const answer = await this.request("PUT", "/deployments", { body: spec, headers });
    return { deployment: answer.body as DeploymentView, created: answer.status === 201 };
  }

  /** With `purgeVolumes`, its named volumes are removed too (by their workers, once unused). */
  async deleteDeployment(name: string, options: { purgeVolumes?: boolean } = {}): Promise<void> {
    const query = options.purgeVolumes ? "?purgeVolumes=true" : "";
    try {
      await this.request("DELETE", `/deployments/${encodeURIComponent(name)}${query}`);
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        throw new ApiError(404, error.code, `deployment "${name}" not found`);
      }
      throw error;
    }
  }

  async listPods(filter: PodFilter = {}): Promise<Pod[]> {
    const query = new URLSearchParams();
    if (filter.deployment !== undefined) query.set("deployment", filter.deployment);
    if (filter.node !== undefined) query.set("node", filter.node);
    const queryString = query.toString();
    const suffix = queryString === "" ? "" : `?${queryString}`;
    return (await this.request("GET", `/pods${suffix}`)).body as Pod[];
  }

  async listNodes(): Promise<NodeView[]> {
    return (await this.request("GET", "/nodes")).body as NodeView[];
  }

  /** Removes a node whose worker is gone; returns the pod subnet it released, if any. */
  async deleteNode(name: string): Promise<NodeRemoved> {
    const path = `/nodes/${encodeURIComponent(name)}`;
    return (await this.request("DELETE", path)).body as NodeRemoved;
  }

  /** Cordons (`true`) or uncordons a node; `changed` is false when it already was. */
  async setCordon(name: string, cordoned: boolean): Promise<{ changed: boolean; node: NodeView }> {
    const path = `/nodes/${encodeURIComponent(name)}/${cordoned ? "cordon" : "uncordon"}`;
    return (await this.request("PUT", path)).body as { changed: boolean; node: NodeView };
  }

  /** Sets labels on a node (`null` removes one); they outlive the worker's registration. */
  async labelNode(name: string, labels: Record<string, string | null>): Promise<NodeView> {
    const path = `/nodes/${encodeURIComponent(name)}/labels`;
    return (await this.request("PATCH", path, { body: { labels } })).body as NodeView;
  }

  /** Evicts a pod; an ApiError with status 429 when the deployment's maxUnavailable forbids it now. */
  async evictPod(id: string): Promise<EvictionResult> {
    return (await this.request("POST", `/pods/${encodeURIComponent(id)}/eviction`)).body as EvictionResult;
  }

  /** Events, oldest first: about `name` (an object or a deployment), after event id `since`. */
  async listEvents(filter: { name?: string; since?: string } = {}): Promise<ClusterEvent[]> {
    const query = new URLSearchParams();
    if (filter.name !== undefined) query.set("name", filter.name);
    if (filter.since !== undefined) query.set("since", filter.since);
    const queryString = query.toString();
    return (await this.request("GET", `/events${queryString === "" ? "" : `?${queryString}`}`))
      .body as ClusterEvent[];
  }

  async getRollout(name: string): Promise<RolloutView> {
    return (await this.request("GET", `/deployments/${encodeURIComponent(name)}/rollout`))
      .body as RolloutView;
  }

  /** Revisions, oldest first. */
  async getHistory(name: string): Promise<Revision[]> {
    return (await this.request("GET", `/deployments/${encodeURIComponent(name)}/history`)).body as Revision[];
  }

  /** Back to the previous revision, or to `toRevision`; 409 when there is nothing to go back to. */
  async rollback(name: string, toRevision?: number): Promise<RollbackResult> {
    const path = `/deployments/${encodeURIComponent(name)}/rollback`;
    const body = toRevision === undefined ? {} : { toRevision };
    return (await this.request("POST", path, { body })).body as RollbackResult;
  }

  /** Configs or secrets, without their data. */
  async listData(kind: "config" | "secret"): Promise<(ConfigInfo | SecretInfo)[]> {
    return (await this.request("GET", `/${kind}s`)).body as (ConfigInfo | SecretInfo)[];
  }

  /** Creates (`ifMatch: "0"`), updates (`"*"`) or either; `data` maps keys to base64. */
  async putData(
    kind: "config" | "secret",
    name: string,
    data: Record<string, string>,
    ifMatch?: "0" | "*",
  ): Promise<{ info: ConfigInfo | SecretInfo; created: boolean }> {
    const headers: Record<string, string> = ifMatch ? { "if-match": ifMatch } : {};
    const path = `/${kind}s/${encodeURIComponent(name)}`;
    const answer = await this.request("PUT", path, { body: { data }, headers });
    return { info: answer.body as ConfigInfo | SecretInfo, created: answer.status === 201 };
  }

  async deleteData(kind: "config" | "secret", name: string): Promise<void> {
    await this.request("DELETE", `/${kind}s/${encodeURIComponent(name)}`);
  }

  async listVolumes(): Promise<VolumeReport[]> {
    return (await this.request("GET", "/volumes")).body as VolumeReport[];
  }

  /** CPU and memory of the pods' containers now (`orchestra top pods`), from their nodes. */
  async podUsage(): Promise<PodUsage[]> {
    return (await this.request("GET", "/usage/pods")).body as PodUsage[];
  }

  async nodeUsage(): Promise<NodeUsage[]> {
    return (await this.request("GET", "/usage/nodes")).body as NodeUsage[];
  }

  /** The `Authorization` header, for connections made elsewhere (exec's WebSocket). */
  get authorization(): string | undefined {
    return this.token === undefined ? undefined : `Bearer ${this.token}`;
  }

  /**
   * A GET whose body is read as it comes (logs, followed for as long as the caller likes): the time limit
   * holds until the answer begins. Errors as every other request's.
   */
  async stream(path: string, signal: AbortSignal): Promise<ReadableStream<Uint8Array>> {
    const headers: Record<string, string> = this.authorization ? { authorization: this.authorization } : {};
    const started = AbortSignal.timeout(this.timeoutMs);
    const beginning = new AbortController();
    const stop = () => beginning.abort(started.aborted ? started.reason : signal.reason);
    started.addEventListener("abort", stop);
    signal.addEventListener("abort", stop);
    let response: Response;
    try {
      response = await fetch(`${this.server}${path}`, { headers, signal: beginning.signal });
    } catch (error) {
      throw new CliError(`cannot reach the API server at ${this.server} (${this.networkReason(error)})`);
    } finally {
      started.removeEventListener("abort", stop);
    }
    if (!response.ok || !response.body) {
      const text = await this.readBody(response);
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      throw this.errorFor(response, body);
    }
    return response.body;
  }

  async health(): Promise<unknown> {
    return (await this.request("GET", "/healthz")).body;
  }

  private async request(
    method: string,
    path: string,
    options: { body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<Answer> {
    const headers: Record<string, string> = { accept: "application/json", ...options.headers };
    if (this.token !== undefined) headers.authorization = `Bearer ${this.token}`;
    // Every write says JSON, with a body or without: the server refuses a POST that does not (a browser's
    // cross-site "simple" request could not say it).
    if (options.body !== undefined || method !== "GET") headers["content-type"] = "application/json";
    let response: Response;
    try {
      response = await fetch(`${this.server}${path}`, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new CliError(`cannot reach the API server at ${this.server} (${this.networkReason(error)})`);
    }
    const text = await this.readBody(response);
    let body: unknown;
    try {
      body = text === "" ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (response.ok) {
      if (body === undefined && text !== "") {
        throw new CliError(
          `the API server at ${this.server} answered ${method} ${path} with something that is not JSON`,
        );
      }
      return { status: response.status, body };
    }
    throw this.errorFor(response, body);
  }

  private async readBody(response: Response): Promise<string> {
    try {
      return await response.text();
    } catch (error) {
      throw new CliError(
        `lost the connection to the API server at ${this.server} (${this.networkReason(error)})`,
      );
    }
  }

  private errorFor(response: Response, body: unknown): ApiError {
    return this.errorOf(response.status, body, response.statusText);
  }

  /** The error for an answer with `status` and (parsed) `body`: also for answers taken elsewhere (exec's upgrade). */
  errorOf(status: number, body: unknown, statusText = ""): ApiError {
    const fields = typeof body === "object" && body !== null ? (body as Record<string, unknown>) : {};
    const code = typeof fields.error === "string" ? fields.error : undefined;
    const serverMessage = typeof fields.message === "string" ? fields.message : code;
    if (status === 401) {
      const hint =
        this.token === undefined
          ? "the API server requires a token (use --token or ORCHESTRA_TOKEN)"
          : "the API server rejected the token";
      return new ApiError(401, code, `unauthorized: ${hint}`);
    }
    const message = serverMessage ?? `the API server answered ${status}${statusText ? ` ${statusText}` : ""}`;
    return new ApiError(status, code, message);
  }

  private networkReason(error: unknown): string {
    if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) {
      return `no answer within ${this.timeoutMs / 1000}s`;
    }
    const cause = error instanceof Error ? (error.cause as unknown) : undefined;
    const code = errorCode(cause) ?? errorCode(error);
    if (code !== undefined) return NETWORK_REASONS[code] ?? code;
    // fetch refuses the ports browsers block (1, 7, 25, 6000, ...) before connecting at all.
    if (cause instanceof Error && cause.message === "bad port")
      return "fetch refuses to connect to this port";
    if (cause instanceof Error && cause.message) return cause.message;
    return error instanceof Error ? error.message : String(error);
  }
}

/** The errno-style code of a connection error; an AggregateError (several addresses tried) gives its first. */
function errorCode(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const { code, errors } = error as { code?: unknown; errors?: unknown };
  if (typeof code === "string") return code;
  if (Array.isArray(errors)) return errorCode(errors[0]);
  return undefined;
}

// Client of the Orchestra API server: one method per route, over the HTTP(S) transport of api-transport.ts
// (where every failure becomes a CliError fit for the one-line `error: ...` the CLI prints).
import type { Static } from "typebox";
import type { JoinAnswer, TokenCreate, TokenCreated, TokenInfo } from "../core/schemas/token.js";
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
  PublishedServiceView,
  Revision,
  RollbackResult,
  RolloutView,
  SecretInfo,
  NodeView as ServedNode,
  VolumeReport,
} from "../core/types.js";
import { type Answer, ApiTransport, type TransportOptions } from "./api-transport.js";
import { ApiError, CliError } from "./cli-error.js";

// The shapes the API serves are those of its schemas (src/core/schemas/, published at /openapi.json).
export type { RolloutView } from "../core/types.js";
export { normaliseServerUrl } from "./api-transport.js";

/** Where older servers leave out what the server computes, the CLI copes without it. */
type Computed<T, K extends keyof T> = Omit<T, K> & Partial<Pick<T, K>>;
/** A deployment as `GET /deployments` serves it: the stored object plus counts from its pods. */
export type DeploymentView = Computed<DeploymentWithStatus, "status">;
/** A node as `GET /nodes` serves it, with what the server computes. */
export type NodeView = Computed<ServedNode, "pods" | "unschedulable" | "ready" | "allocated">;

export type TokenCreateInput = Static<typeof TokenCreate>;
export type TokenInfoView = Static<typeof TokenInfo>;
export type TokenCreatedView = Static<typeof TokenCreated>;
export type JoinAnswerView = Static<typeof JoinAnswer>;

export type ApiClientOptions = TransportOptions;

export interface PodFilter {
  deployment?: string;
  node?: string;
}

export interface PutResult {
  deployment: DeploymentView;
  /** true on 201 (a new deployment), false on 200 (an update). */
  created: boolean;
}

/** Pages a list is read in at most: at the most a server serves per page, 10 million objects. */
const MAX_PAGES = 10_000;

export class ApiClient {
  readonly server: string;
  private readonly http: ApiTransport;

  constructor(options: ApiClientOptions) {
    this.http = new ApiTransport(options);
    this.server = this.http.server;
  }

  async listDeployments(): Promise<DeploymentView[]> {
    return this.listAll<DeploymentView>("/deployments");
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
    return this.listAll<Pod>(`/pods${suffix}`);
  }

  async listNodes(): Promise<NodeView[]> {
    return this.listAll<NodeView>("/nodes");
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
    return this.listAll<ConfigInfo | SecretInfo>(`/${kind}s`);
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

  /** Every published port with its deployment and ready endpoints. */
  async listServices(): Promise<PublishedServiceView[]> {
    return this.listAll<PublishedServiceView>("/services");
  }

  async listVolumes(): Promise<VolumeReport[]> {
    return this.listAll<VolumeReport>("/volumes");
  }

  /** A new token with `role`; the answer's `token` is its secret, shown this once. */
  async createToken(input: TokenCreateInput): Promise<TokenCreatedView> {
    return (await this.request("POST", "/tokens", { body: input })).body as TokenCreatedView;
  }

  async listTokens(): Promise<TokenInfoView[]> {
    return (await this.request("GET", "/tokens")).body as TokenInfoView[];
  }

  async revokeToken(id: string): Promise<TokenInfoView> {
    return (await this.request("DELETE", `/tokens/${encodeURIComponent(id)}`)).body as TokenInfoView;
  }

  /** A worker's join (this client's token: a node token): where the store is, and its credential. */
  async join(node: string): Promise<JoinAnswerView> {
    return (await this.request("POST", "/join", { body: { node } })).body as JoinAnswerView;
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
    return this.http.authorization;
  }

  /** The CA the server is verified against, for connections made elsewhere (exec's WebSocket). */
  get ca(): string | undefined {
    return this.http.ca;
  }

  /** A GET whose body is read as it comes (logs); see ApiTransport.stream. */
  stream(path: string, signal: AbortSignal): Promise<ReadableStream<Uint8Array>> {
    return this.http.stream(path, signal);
  }

  /** The error for an answer taken elsewhere (exec's upgrade), worded as every other request's. */
  errorOf(status: number, body: unknown, statusText = ""): ApiError {
    return this.http.errorOf(status, body, statusText);
  }

  async health(): Promise<unknown> {
    return (await this.request("GET", "/healthz")).body;
  }

  /** Every item of a list, following its pages' continue tokens (the server serves a page at a time). */
  private async listAll<T>(path: string): Promise<T[]> {
    const items: T[] = [];
    let next: string | undefined;
    for (let pages = 0; pages < MAX_PAGES; pages++) {
      const separator = path.includes("?") ? "&" : "?";
      const page = next === undefined ? path : `${path}${separator}continue=${encodeURIComponent(next)}`;
      const answer = await this.request("GET", page);
      if (!Array.isArray(answer.body)) {
        throw new CliError(`the API server at ${this.server} answered GET ${path} with something not a list`);
      }
      items.push(...(answer.body as T[]));
      if (answer.next === undefined) return items;
      if (answer.next === next) {
        throw new CliError(`the API server at ${this.server} gave the same page of ${path} twice`);
      }
      next = answer.next;
    }
    throw new CliError(`the API server at ${this.server} served more than ${MAX_PAGES} pages of ${path}`);
  }

  private request(
    method: string,
    path: string,
    options: { body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<Answer> {
    return this.http.request(method, path, options);
  }
}

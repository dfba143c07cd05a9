// ContainerRuntime on a Docker Engine through its HTTP API (dockerode). Containers get no restart policy:
// Orchestra restarts them itself, so that every restart is seen and counted.
import Docker from "dockerode";
import { type Logger, logger } from "../../core/logger.js";
import { ContainerExistsError, ContainerStartError, ImageNotFoundError } from "../errors.js";
import type {
  ContainerInfo,
  ContainerRuntime,
  ContainerSpec,
  ContainerState,
  ContainerStats,
  EventOptions,
  EventSubscription,
  ExecResult,
  ExecSession,
  ExecSessionOptions,
  LogOptions,
  LogStream,
  NetworkInfo,
  NetworkSpec,
  RuntimeEvent,
  RuntimeInfo,
  VolumeInfo,
} from "../runtime.js";
import { dockerMessage, isDefinitivePullFailure, isEngineRefusal, isStatus } from "./docker-errors.js";
import { followDockerEvents } from "./docker-events.js";
import { execInContainer } from "./docker-exec.js";
import { openDockerExec } from "./docker-exec-session.js";
import { type DockerConnection, formatDockerHost, parseDockerHost } from "./docker-host.js";
import { dockerLogs } from "./docker-logs.js";
import { ensureDockerNetwork, removeDockerNetwork } from "./docker-networks.js";
import { removeDockerContainer } from "./docker-removal.js";
import { dockerStats } from "./docker-stats.js";
import { dockerMounts, ensureDockerVolume, listDockerVolumes, removeDockerVolume } from "./docker-volumes.js";

export interface DockerRuntimeOptions {
  /** Any `--docker-host` form (unix:///var/run/docker.sock, tcp://host:2375, ...). */
  dockerHost?: string;
  socketPath?: string;
  host?: string;
  port?: number;
  protocol?: "http" | "https";
  /**
   * How often a container the engine refused to remove (and that was moved aside) is asked to be removed again;
   * removals asked sooner return at once. Docker spends about 5 s on each refused removal of a busy layer.
   * Default 30 s, the worker's sweep.
   */
  staleRetryMs?: number;
}

const DEFAULT_EXEC_TIMEOUT_MS = 10_000;
const DEFAULT_STOP_TIMEOUT_SECONDS = 10;
const DEFAULT_STALE_RETRY_MS = 30_000;

export class DockerRuntime implements ContainerRuntime {
  readonly connection: DockerConnection;
  private readonly docker: Docker;
  private readonly log: Logger;
  private readonly subscriptions = new Set<EventSubscription>();
  /** One pull per image at a time, however many pods want it. */
  private readonly pulls = new Map<string, Promise<void>>();
  /** Images seen on the engine (by the reference pods use): not inspected again before each start. */
  private readonly presentImages = new Set<string>();
  /** Containers left aside after a refused removal, by id: when the engine last refused (ms since the epoch). */
  private readonly refusedAt = new Map<string, number>();
  private readonly staleRetryMs: number;

  constructor(options: DockerRuntimeOptions = {}) {
    this.connection = resolveConnection(options);
    this.docker = new Docker(this.connection);
    this.log = logger("runtime.docker", { docker: formatDockerHost(this.connection) });
    this.staleRetryMs = options.staleRetryMs ?? DEFAULT_STALE_RETRY_MS;
  }

  async info(): Promise<RuntimeInfo> {
    const info = await this.docker.info();
    return {
      engine: `docker ${info.ServerVersion}`,
      cpus: info.NCPU,
      memoryBytes: info.MemTotal,
      hostname: info.Name,
    };
  }

  ensureNetwork(spec: NetworkSpec): Promise<NetworkInfo> {
    return ensureDockerNetwork(this.docker, spec, this.log);
  }

  removeNetwork(name: string): Promise<void> {
    return removeDockerNetwork(this.docker, name);
  }

  async ensureImage(image: string): Promise<void> {
    // Once seen here, an image is taken as present without asking again: a create that finds it gone after all
    // forgets it and pulls (see create), as `docker run` does.
    if (this.presentImages.has(image)) return;
    if (await this.hasImage(image)) return;
    let pull = this.pulls.get(image);
    if (!pull) {
      pull = this.pull(image).finally(() => this.pulls.delete(image));
      this.pulls.set(image, pull);
    }
    await pull;
  }

  async start(spec: ContainerSpec): Promise<ContainerInfo> {
    let container: Docker.Container;
    try {
      container = await this.create(spec);
    } catch (err) {
      // A leftover holds the name (a crashed container, one the engine restored): free it and create once more.
      // Asking first would cost every start a call for the rare case.
      if (!(err instanceof ContainerExistsError)) throw err;
      await this.freeName(spec.name);
      container = await this.create(spec);
    }
    try {
      await container.start();
    } catch (err) {
      await this.remove(container.id);
      throw new ContainerStartError(spec.name, dockerMessage(err), "start", isEngineRefusal(err));
    }
    const info = await this.inspect(container.id);
    if (!info)
      throw new ContainerStartError(
        spec.name,
        "the container vanished right after it started",
        "start",
        false,
      );
    this.log.debug({ container: spec.name, id: info.id, ip: info.ip }, "started container");
    return info;
  }

  async stop(id: string, options: { timeoutSeconds?: number } = {}): Promise<void> {
    try {
      await this.docker.getContainer(id).stop({ t: options.timeoutSeconds ?? DEFAULT_STOP_TIMEOUT_SECONDS });
    } catch (err) {
      // 304: already stopped; 404: gone. Both are what the caller wanted.
      if (!isStatus(err, 304, 404)) throw new Error(`cannot stop container "${id}": ${dockerMessage(err)}`);
    }
  }

  /**
   * Also succeeds when the engine refuses to remove a stopped container: it is then renamed out of the way
   * (`<name>.stale-<id>`, labels kept) so the pod's name is free, and a later remove of it tries again.
   */
  async remove(id: string): Promise<void> {
    const refused = this.refusedAt.get(id);
    if (refused !== undefined && Date.now() - refused < this.staleRetryMs) return;
    const outcome = await removeDockerContainer(this.docker, id, this.log);
    if (outcome === "left-aside") this.refusedAt.set(id, Date.now());
    else this.refusedAt.delete(id);
  }

  async inspect(id: string): Promise<ContainerInfo | undefined> {
    try {
      return toContainerInfo(await this.docker.getContainer(id).inspect());
    } catch (err) {
      if (isStatus(err, 404)) return undefined;
      throw err;
    }
  }

  async list(options: { labels: Record<string, string> }): Promise<ContainerInfo[]> {
    const label = Object.entries(options.labels).map(([key, value]) => `${key}=${value}`);
    const summaries = await this.docker.listContainers({ all: true, filters: { label } });
    // The summaries lack exit codes and timestamps; inspect each (one may vanish meanwhile).
    const infos = await Promise.all(summaries.map((summary) => this.inspect(summary.Id)));
    return infos.filter((info): info is ContainerInfo => info !== undefined);
  }

  events(onEvent: (event: RuntimeEvent) => void, options: EventOptions = {}): EventSubscription {
    const subscription = followDockerEvents(this.docker, onEvent, options, this.log);
    this.subscriptions.add(subscription);
    return {
      ready: subscription.ready,
      stop: () => {
        subscription.stop();
        this.subscriptions.delete(subscription);
      },
    };
  }

  ensureVolume(name: string, labels: Record<string, string>): Promise<VolumeInfo> {
    return ensureDockerVolume(this.docker, name, labels);
  }

  listVolumes(options: { labels: Record<string, string>; usage?: boolean }): Promise<VolumeInfo[]> {
    return listDockerVolumes(this.docker, options);
  }

  removeVolume(name: string): Promise<void> {
    return removeDockerVolume(this.docker, name);
  }

  exec(id: string, argv: string[], options: { timeoutMs?: number } = {}): Promise<ExecResult> {
    return execInContainer(this.docker, id, argv, options.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS);
  }

  logs(id: string, options: LogOptions = {}): Promise<LogStream> {
    return dockerLogs(this.docker, id, options);
  }

  openExec(id: string, argv: string[], options: ExecSessionOptions): Promise<ExecSession> {
    return openDockerExec(this.docker, id, argv, options);
  }

  stats(id: string): Promise<ContainerStats> {
    return dockerStats(this.docker, id);
  }

  async close(): Promise<void> {
    for (const subscription of this.subscriptions) subscription.stop();
    this.subscriptions.clear();
  }

  /** Frees `name` from a stopped leftover (removed, or moved aside when the engine refuses); a live one conflicts. */
  private async freeName(name: string): Promise<void> {
    const leftover = await this.inspect(name);
    if (!leftover) return;
    if (leftover.running || leftover.state === "restarting" || leftover.state === "paused") {
      throw new ContainerExistsError(name);
    }
    await this.remove(leftover.id);
  }

  private async create(spec: ContainerSpec): Promise<Docker.Container> {
    const body: Docker.ContainerCreateOptions = {
      name: spec.name,
      Image: spec.image,
      Labels: spec.labels,
      ...(spec.command ? { Cmd: spec.command } : {}),
      ...(spec.env ? { Env: Object.entries(spec.env).map(([key, value]) => `${key}=${value}`) } : {}),
      ...(spec.hostname ? { Hostname: spec.hostname } : {}),
      ...(spec.ports?.length
        ? {
            ExposedPorts: Object.fromEntries(spec.ports.map((p) => [`${p.containerPort}/${p.protocol}`, {}])),
          }
        : {}),
      HostConfig: {
        NetworkMode: spec.network,
        RestartPolicy: { Name: "no" },
        ...(spec.dns ? { Dns: spec.dns } : {}),
        ...(spec.dnsSearch ? { DnsSearch: spec.dnsSearch } : {}),
        ...(spec.resources?.cpu ? { NanoCpus: Math.round(spec.resources.cpu * 1e6) } : {}),
        ...(spec.resources?.memory ? { Memory: spec.resources.memory } : {}),
        ...(spec.mounts?.length ? { Mounts: dockerMounts(spec.mounts) } : {}),
      },
      NetworkingConfig: { EndpointsConfig: { [spec.network]: {} } },
    };
    try {
      return await this.docker.createContainer({ ...body });
    } catch (err) {
      if (isStatus(err, 409)) throw new ContainerExistsError(spec.name);
      if (!isStatus(err, 404) || !/no such image/i.test(dockerMessage(err))) {
        throw new ContainerStartError(spec.name, dockerMessage(err), "create", isEngineRefusal(err));
      }
    }
    // Like `docker run`: a missing image is pulled, then the create is tried once more.
    this.presentImages.delete(spec.image);
    await this.ensureImage(spec.image);
    try {
      return await this.docker.createContainer({ ...body });
    } catch (err) {
      throw new ContainerStartError(spec.name, dockerMessage(err), "create", isEngineRefusal(err));
    }
  }

  private async hasImage(image: string): Promise<boolean> {
    try {
      await this.docker.getImage(image).inspect();
      this.presentImages.add(image);
      return true;
    } catch (err) {
      if (isStatus(err, 404)) return false;
      throw err;
    }
  }

  private async pull(image: string): Promise<void> {
    this.log.info({ image }, "pulling image");
    try {
      const progress = await this.docker.pull(image);
      await new Promise<void>((resolve, reject) => {
        this.docker.modem.followProgress(progress, (err: Error | null) => (err ? reject(err) : resolve()));
      });
    } catch (err) {
      const message = dockerMessage(err);
      throw new ImageNotFoundError(image, message, isDefinitivePullFailure(message));
    }
    // A pull can "succeed" yet leave nothing under this reference (e.g. a digest of another platform).
    if (!(await this.hasImage(image)))
      throw new ImageNotFoundError(image, "the pull finished without the image");
  }
}

function resolveConnection(options: DockerRuntimeOptions): DockerConnection {
  if (options.dockerHost) return parseDockerHost(options.dockerHost);
  if (options.socketPath) return { socketPath: options.socketPath };
  if (options.host) {
    const protocol = options.protocol ?? "http";
    return { host: options.host, port: options.port ?? (protocol === "https" ? 2376 : 2375), protocol };
  }
  return parseDockerHost();
}

function toContainerInfo(c: Docker.ContainerInspectInfo): ContainerInfo {
  const network = c.HostConfig.NetworkMode ?? "default";
  const networks = c.NetworkSettings.Networks ?? {};
  const endpoint = networks[network] ?? Object.values(networks)[0];
  const running = c.State.Running;
  const state = c.State.Status as ContainerState;
  const info: ContainerInfo = {
    id: c.Id,
    name: c.Name.replace(/^\//, ""),
    image: c.Config.Image,
    labels: c.Config.Labels ?? {},
    state,
    running,
    network,
    restartCount: c.RestartCount,
  };
  if (!running && state !== "created") info.exitCode = c.State.ExitCode;
  if (c.State.Error) info.error = c.State.Error;
  if (c.State.OOMKilled) info.oomKilled = true;
  if (endpoint?.IPAddress) info.ip = endpoint.IPAddress;
  const startedAt = engineTime(c.State.StartedAt);
  if (startedAt) info.startedAt = startedAt;
  const finishedAt = engineTime(c.State.FinishedAt);
  if (finishedAt) info.finishedAt = finishedAt;
  return info;
}

/** The engine writes 0001-01-01T00:00:00Z for "never". */
function engineTime(value: string | undefined): string | undefined {
  if (!value || value.startsWith("0001-")) return undefined;
  return new Date(value).toISOString();
}

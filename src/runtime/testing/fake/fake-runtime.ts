// ContainerRuntime in memory: many independent engines in one process, scripted behaviour, the same events
// as Docker and deterministic IPs, so that simulations of hundreds of nodes run fast and repeatably.
import { createHash } from "node:crypto";
import { type Clock, systemClock } from "../../../core/clock.js";
import { ConflictError, NotFoundError } from "../../../core/errors.js";
import {
  ContainerExistsError,
  ContainerStartError,
  ExecTimeoutError,
  ImageNotFoundError,
} from "../../errors.js";
import { matchesLabels } from "../../labels.js";
import type {
  ContainerInfo,
  ContainerRuntime,
  ContainerSpec,
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
  RuntimeEventType,
  RuntimeInfo,
  VolumeInfo,
} from "../../runtime.js";
import {
  behaviourFor,
  type FakeBehaviour,
  type FakeMatch,
  type FakeRule,
  normalizeImage,
} from "./fake-behaviour.js";
import { fakeExecSession } from "./fake-exec-session.js";
import { FakeNetwork } from "./fake-network.js";
import { FakeOutput } from "./fake-output.js";

export interface FakeRuntimeOptions {
  /** Names the engine (and seeds its container ids); default `fake-<n>`. */
  name?: string;
  clock?: Clock;
  /** Images present from the start. */
  images?: string[];
  /** Images a pull finds; anything else cannot be pulled, as on a machine without a registry. */
  registry?: string[];
  pullLatencyMs?: number;
  /** What info() reports: a simulated node's capacity. */
  cpus?: number;
  memoryBytes?: number;
}

interface FakeContainer {
  info: ContainerInfo;
  spec: ContainerSpec;
  behaviour: FakeBehaviour;
  seq: number;
  output: FakeOutput;
  cancelExit?: () => void;
  cancelOutput: (() => void)[];
}

interface Listener {
  labels: Record<string, string>;
  onEvent: (event: RuntimeEvent) => void;
}

/** The state that FakeRuntime clients of one engine share (see `shared()`). */
interface FakeEngine {
  name: string;
  clock: Clock;
  options: FakeRuntimeOptions;
  containers: Map<string, FakeContainer>;
  networks: Map<string, FakeNetwork>;
  images: Set<string>;
  /** Named volumes: their labels and the bytes they are said to hold. */
  volumes: Map<string, { labels: Record<string, string>; sizeBytes: number }>;
  registry: Set<string>;
  rules: FakeRule[];
  listeners: Set<Listener>;
  seq: number;
}

let engineCount = 0;
const DEFAULT_EXEC_TIMEOUT_MS = 10_000;

export class FakeRuntime implements ContainerRuntime {
  private readonly engine: FakeEngine;
  /** This client's subscriptions, ended by close(). */
  private readonly own = new Set<Listener>();

  constructor(options: FakeRuntimeOptions | FakeEngine = {}) {
    if ("containers" in options) {
      this.engine = options;
      return;
    }
    engineCount++;
    this.engine = {
      name: options.name ?? `fake-${engineCount}`,
      clock: options.clock ?? systemClock,
      options,
      containers: new Map(),
      networks: new Map(),
      images: new Set((options.images ?? []).map(normalizeImage)),
      volumes: new Map(),
      registry: new Set((options.registry ?? []).map(normalizeImage)),
      rules: [],
      listeners: new Set(),
      seq: 0,
    };
  }

  /** Another client of the same engine, as when several workers share one Docker daemon. */
  shared(): FakeRuntime {
    return new FakeRuntime(this.engine);
  }

  /** Scripts how matching containers behave from their next start on. */
  script(match: FakeMatch, behaviour: FakeBehaviour): void {
    this.engine.rules.push({ ...match, behaviour });
  }

  addImage(image: string): void {
    this.engine.images.add(normalizeImage(image));
  }

  /** The container dies from outside, as with `docker kill` or the OOM killer. */
  crash(id: string, options: { exitCode?: number; oom?: boolean } = {}): void {
    const container = this.find(id);
    if (!container?.info.running) return;
    if (options.oom) {
      container.info.oomKilled = true;
      this.emit(container, "oom");
    }
    this.exit(container, options.exitCode ?? 137);
  }

  async info(): Promise<RuntimeInfo> {
    const { options, name } = this.engine;
    return {
      engine: "fake",
      cpus: options.cpus ?? 4,
      memoryBytes: options.memoryBytes ?? 8 * 2 ** 30,
      hostname: name,
    };
  }

  async ensureNetwork(spec: NetworkSpec): Promise<NetworkInfo> {
    const { networks } = this.engine;
    // Without a subnet, the next /24 of 10.89.0.0/16, as Docker picks from its default pools.
    const network =
      networks.get(spec.name) ??
      new FakeNetwork(spec.name, spec.subnet ?? `10.89.${networks.size % 256}.0/24`, spec.gateway);
    networks.set(spec.name, network);
    return { ...network.info };
  }

  async removeNetwork(name: string): Promise<void> {
    const attached = [...this.engine.containers.values()].some(
      (c) => c.info.running && c.spec.network === name,
    );
    if (attached) throw new ConflictError(`cannot remove network "${name}": containers are attached`);
    this.engine.networks.delete(name);
  }

  async ensureImage(image: string): Promise<void> {
    const normalized = normalizeImage(image);
    if (this.engine.images.has(normalized)) return;
    await this.delay(this.engine.options.pullLatencyMs ?? 0);
    if (!this.engine.registry.has(normalized)) {
      throw new ImageNotFoundError(image, `no registry has ${normalized} (fake engine ${this.engine.name})`);
    }
    this.engine.images.add(normalized);
  }

  async start(spec: ContainerSpec): Promise<ContainerInfo> {
    const leftover = this.find(spec.name);
    if (leftover) {
      if (leftover.info.running) throw new ContainerExistsError(spec.name);
      await this.remove(leftover.info.id);
    }
    await this.ensureImage(spec.image);
    const network = this.engine.networks.get(spec.network);
    if (!network) throw new ContainerStartError(spec.name, `network ${spec.network} not found`);
    const behaviour = behaviourFor(this.engine.rules, spec);
    await this.delay(behaviour.startLatencyMs ?? 0);
    if (behaviour.startError !== undefined) throw new ContainerStartError(spec.name, behaviour.startError);
    // Another start of the same name may have finished while this one waited.
    if (this.find(spec.name)) throw new ContainerExistsError(spec.name);

    // As Docker does, a volume a container mounts is created when missing.
    for (const mount of spec.mounts ?? []) {
      if (mount.type === "volume" && !this.engine.volumes.has(mount.source))
        this.engine.volumes.set(mount.source, { labels: {}, sizeBytes: 0 });
    }
    const seq = ++this.engine.seq;
    const id = createHash("sha256").update(`${this.engine.name}/${seq}`).digest("hex");
    const ip = network.allocate();
    if (!ip) throw new ContainerStartError(spec.name, `no free address left in ${network.info.subnet}`);
    const info: ContainerInfo = {
      id,
      name: spec.name,
      image: spec.image,
      labels: { ...spec.labels },
      state: "running",
      running: true,
      network: spec.network,
      ip,
      startedAt: new Date(this.engine.clock.now()).toISOString(),
      restartCount: 0,
    };
    const container: FakeContainer = {
      info,
      spec,
      behaviour,
      seq,
      output: new FakeOutput(),
      cancelOutput: [],
    };
    this.engine.containers.set(id, container);
    this.emit(container, "start");
    for (const { afterMs, text, stream } of behaviour.output ?? []) {
      const write = () => container.output.write(stream ?? "stdout", text, this.engine.clock.now());
      if (afterMs <= 0) write();
      else container.cancelOutput.push(this.engine.clock.setTimeout(write, afterMs));
    }
    if (behaviour.exitAfterMs !== undefined) {
      container.cancelExit = this.engine.clock.setTimeout(
        () => this.exit(container, behaviour.exitCode ?? 0),
        behaviour.exitAfterMs,
      );
    }
    return copy(info);
  }

  async stop(id: string, _options: { timeoutSeconds?: number } = {}): Promise<void> {
    const container = this.find(id);
    if (!container?.info.running) return;
    await this.delay(container.behaviour.stopLatencyMs ?? 0);
    if (!container.info.running) return;
    this.exit(container, container.behaviour.stopExitCode ?? 143);
    this.emit(container, "stop");
  }

  async remove(id: string): Promise<void> {
    const container = this.find(id);
    if (!container) return;
    if (container.info.running) this.exit(container, 137);
    this.engine.containers.delete(container.info.id);
    this.emit(container, "destroy");
  }

  async inspect(id: string): Promise<ContainerInfo | undefined> {
    const container = this.find(id);
    return container ? copy(container.info) : undefined;
  }

  async list(options: { labels: Record<string, string> }): Promise<ContainerInfo[]> {
    return [...this.engine.containers.values()]
      .filter((c) => matchesLabels(c.info.labels, options.labels))
      .sort((a, b) => a.seq - b.seq)
      .map((c) => copy(c.info));
  }

  events(onEvent: (event: RuntimeEvent) => void, options: EventOptions = {}): EventSubscription {
    const listener: Listener = { labels: { ...options.labels }, onEvent };
    this.engine.listeners.add(listener);
    this.own.add(listener);
    return {
      ready: Promise.resolve(),
      stop: () => {
        this.engine.listeners.delete(listener);
        this.own.delete(listener);
      },
    };
  }

  async exec(id: string, argv: string[], options: { timeoutMs?: number } = {}): Promise<ExecResult> {
    const container = this.find(id);
    if (!container) throw new NotFoundError(`container "${id}" not found`);
    if (!container.info.running) throw new ConflictError(`container "${id}" is not running`);
    const timeoutMs = options.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS;
    const latency = container.behaviour.execLatencyMs ?? 0;
    if (latency > timeoutMs) {
      await this.delay(timeoutMs);
      throw new ExecTimeoutError(id, timeoutMs);
    }
    await this.delay(latency);
    return container.behaviour.exec?.(argv) ?? { exitCode: 0, output: "" };
  }

  async logs(id: string, options: LogOptions = {}): Promise<LogStream> {
    const container = this.find(id);
    if (!container) throw new NotFoundError(`container "${id}" not found`);
    return container.output.read(options);
  }

  async openExec(id: string, argv: string[], options: ExecSessionOptions): Promise<ExecSession> {
    const container = this.find(id);
    if (!container) throw new NotFoundError(`container "${id}" not found`);
    if (!container.info.running) throw new ConflictError(`container "${id}" is not running`);
    const { behaviour } = container;
    const answer = (args: string[]) => behaviour.exec?.(args) ?? { exitCode: 0, output: "" };
    return fakeExecSession(argv, options, behaviour.session?.(argv), answer);
  }

  async stats(id: string): Promise<ContainerStats> {
    const container = this.find(id);
    if (!container) throw new NotFoundError(`container "${id}" not found`);
    if (!container.info.running) throw new ConflictError(`container "${id}" is not running`);
    const usage = container.behaviour.usage ?? { cpu: 0, memory: 4 * 2 ** 20 };
    const now = this.engine.clock.now();
    const ranMs = now - Date.parse(container.info.startedAt ?? new Date(now).toISOString());
    return { cpuSeconds: ((usage.cpu / 1000) * ranMs) / 1000, memoryBytes: usage.memory, at: now };
  }

  /** Output written by the container from outside, as its process would. */
  write(id: string, text: string, stream: "stdout" | "stderr" = "stdout"): void {
    const container = this.find(id);
    if (container?.info.running) container.output.write(stream, text, this.engine.clock.now());
  }

  async ensureVolume(name: string, labels: Record<string, string>): Promise<VolumeInfo> {
    const existing = this.engine.volumes.get(name);
    if (existing) return { name, labels: { ...existing.labels } };
    this.engine.volumes.set(name, { labels: { ...labels }, sizeBytes: 0 });
    return { name, labels: { ...labels } };
  }

  async listVolumes(options: { labels: Record<string, string>; usage?: boolean }): Promise<VolumeInfo[]> {
    return [...this.engine.volumes]
      .filter(([, volume]) => matchesLabels(volume.labels, options.labels))
      .map(([name, volume]) => ({
        name,
        labels: { ...volume.labels },
        ...(options.usage ? { sizeBytes: volume.sizeBytes, containers: this.usersOf(name) } : {}),
      }));
  }

  async removeVolume(name: string): Promise<void> {
    if (this.usersOf(name) > 0) throw new ConflictError(`volume "${name}" is in use`);
    this.engine.volumes.delete(name);
  }

  /** Says how many bytes a volume holds (what `docker system df` would measure). */
  setVolumeSize(name: string, sizeBytes: number): void {
    const volume = this.engine.volumes.get(name);
    if (volume) volume.sizeBytes = sizeBytes;
  }

  /** Containers, running or not, that mount the volume. */
  private usersOf(name: string): number {
    return [...this.engine.containers.values()].filter((container) =>
      container.spec.mounts?.some((mount) => mount.type === "volume" && mount.source === name),
    ).length;
  }

  async close(): Promise<void> {
    for (const listener of this.own) this.engine.listeners.delete(listener);
    this.own.clear();
  }

  /** By id, unique id prefix, or name: as the engine resolves them. */
  private find(idOrName: string): FakeContainer | undefined {
    const { containers } = this.engine;
    const exact = containers.get(idOrName);
    if (exact) return exact;
    let prefixMatch: FakeContainer | undefined;
    let prefixCount = 0;
    for (const container of containers.values()) {
      if (container.info.name === idOrName) return container;
      if (idOrName.length >= 4 && container.info.id.startsWith(idOrName)) {
        prefixMatch = container;
        prefixCount++;
      }
    }
    return prefixCount === 1 ? prefixMatch : undefined;
  }

  private exit(container: FakeContainer, exitCode: number): void {
    const { info } = container;
    if (!info.running) return;
    container.cancelExit?.();
    container.cancelExit = undefined;
    for (const cancel of container.cancelOutput.splice(0)) cancel();
    container.output.end();
    info.running = false;
    info.state = "exited";
    info.exitCode = exitCode;
    info.finishedAt = new Date(this.engine.clock.now()).toISOString();
    // The engine releases the address when the container stops.
    if (info.ip) this.engine.networks.get(container.spec.network)?.release(info.ip);
    delete info.ip;
    this.emit(container, "die", exitCode);
  }

  private emit(container: FakeContainer, type: RuntimeEventType, exitCode?: number): void {
    const event: RuntimeEvent = {
      id: container.info.id,
      name: container.info.name,
      type,
      labels: { ...container.info.labels },
      time: this.engine.clock.now(),
    };
    if (exitCode !== undefined) event.exitCode = exitCode;
    // Delivered after the current call returns, as Docker's events arrive after its API calls answer.
    for (const listener of this.engine.listeners) {
      if (matchesLabels(event.labels, listener.labels)) {
        queueMicrotask(() => {
          if (this.engine.listeners.has(listener))
            listener.onEvent({ ...event, labels: { ...event.labels } });
        });
      }
    }
  }

  private delay(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.engine.clock.setTimeout(resolve, ms);
    });
  }
}

function copy(info: ContainerInfo): ContainerInfo {
  return { ...info, labels: { ...info.labels } };
}

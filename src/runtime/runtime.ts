// The ContainerRuntime: how a worker runs pods as containers. Implementations: docker/ (Engine API) and
// testing/fake/ (in memory, scripted, for tests and simulations). No Docker type crosses this interface.
import type { PortSpec, Resources } from "../core/types.js";

/** A bridge network for pods. `subnet` (CIDR) and `gateway` are picked by the engine when omitted. */
export interface NetworkSpec {
  name: string;
  subnet?: string;
  gateway?: string;
  /**
   * Whether the engine masquerades what leaves the network (default true). The multi-host pod network turns it
   * off, so that pods see each other's real addresses, and masquerades only what leaves the cluster itself.
   */
  masquerade?: boolean;
}

export interface NetworkInfo {
  name: string;
  subnet: string;
  gateway: string;
}

export interface ContainerSpec {
  /** Unique on the engine; a stopped container of the same name is replaced, a running one is a conflict. */
  name: string;
  image: string;
  /** Replaces the image's command (argv, no shell). */
  command?: string[];
  env?: Record<string, string>;
  /** Orchestra's markers (see labels.ts) plus any user labels. */
  labels: Record<string, string>;
  /** Network to attach to (see ensureNetwork); the container's IP is on this network. */
  network: string;
  hostname?: string;
  /** Name servers and search domains written into the container's resolver configuration. */
  dns?: string[];
  dnsSearch?: string[];
  /** Limits: cpu in millicores, memory in bytes. */
  resources?: Resources;
  /** Ports the container listens on; pods are reached by IP, so nothing is published on the host. */
  ports?: PortSpec[];
  /** What the container mounts, in order. */
  mounts?: Mount[];
}

/**
 * A mount: a named volume of the engine (created when missing), a directory of the machine (`bind`), or memory
 * of at most `sizeBytes` (`tmpfs`).
 */
export type Mount =
  | { type: "volume"; source: string; target: string; readOnly?: boolean }
  | { type: "bind"; source: string; target: string; readOnly?: boolean }
  | { type: "tmpfs"; target: string; sizeBytes: number };

export interface VolumeInfo {
  name: string;
  labels: Record<string, string>;
  /** Bytes it holds and containers (running or not) that mount it, when asked for (`usage`). */
  sizeBytes?: number;
  containers?: number;
}

export type ContainerState = "created" | "running" | "paused" | "restarting" | "removing" | "exited" | "dead";

export interface ContainerInfo {
  id: string;
  name: string;
  /** The image as named in the spec, e.g. `orchestra/hello:latest`. */
  image: string;
  labels: Record<string, string>;
  state: ContainerState;
  running: boolean;
  /** Set once the container has stopped. */
  exitCode?: number;
  /** Why the engine could not start or keep the container, when it says. */
  error?: string;
  oomKilled?: boolean;
  network?: string;
  /** Address on `network`; absent when the container is not running. */
  ip?: string;
  /** ISO timestamps. */
  startedAt?: string;
  finishedAt?: string;
  restartCount?: number;
}

export type RuntimeEventType = "start" | "die" | "stop" | "destroy" | "oom";

export interface RuntimeEvent {
  id: string;
  name?: string;
  type: RuntimeEventType;
  labels: Record<string, string>;
  /** On `die`. */
  exitCode?: number;
  /** Milliseconds since the epoch, as the engine reports it. */
  time: number;
}

export interface EventSubscription {
  /** Resolves once the first connection to the engine's event stream is open: later events are seen. */
  readonly ready: Promise<void>;
  stop(): void;
}

export interface EventOptions {
  /** Only containers carrying every one of these labels (value must match). */
  labels?: Record<string, string>;
  /** Told when the stream broke and was re-established: events may have been missed, so resync. */
  onReconnect?: () => void;
}

export interface ExecResult {
  exitCode: number;
  /** stdout and stderr, interleaved as they arrived. */
  output: string;
}

/** Which of a container's output streams a piece of output came from. */
export type OutputStream = "stdout" | "stderr";

export interface OutputChunk {
  stream: OutputStream;
  data: Buffer;
}

export interface LogOptions {
  /** Keep the stream open and deliver what the container writes from now on, until it stops. */
  follow?: boolean;
  /** Only the last this many lines of what was written so far. */
  tail?: number;
  /** Only what was written at or after this time (epoch ms). */
  sinceMs?: number;
  /** Start each line with the time the engine received it (RFC 3339 with nanoseconds) and a space. */
  timestamps?: boolean;
}

/** A container's output: stdout and stderr apart, in the order the engine recorded them. */
export interface LogStream extends AsyncIterable<OutputChunk> {
  /** Ends the stream early (the iteration then ends). */
  close(): void;
}

export interface TerminalSize {
  cols: number;
  rows: number;
}

export interface ExecSessionOptions {
  /** Give the command a terminal (its output then all comes as stdout, with the terminal's line endings). */
  tty?: boolean;
  /** Keep the command's stdin open for `write` (else it reads end of file at once). */
  stdin?: boolean;
  /** The terminal's size from the start, with `tty`. */
  size?: TerminalSize;
  /** Output as the command writes it. Called in order; never after `exitCode` has resolved. */
  onOutput(chunk: OutputChunk): void;
}

/** A command running in a container with its input and output attached, as `docker exec -i [-t]`. */
export interface ExecSession {
  write(data: Buffer): void;
  /** Closes the command's stdin: it reads end of file. */
  endInput(): void;
  resize(size: TerminalSize): Promise<void>;
  /** The exit code once the command has ended and all its output was delivered; undefined when unknown (closed first). */
  readonly exitCode: Promise<number | undefined>;
  /** Detaches: the connection to the command is closed (with a terminal, the command gets a hang-up). */
  close(): void;
}

/** A container's resource use at one moment. */
export interface ContainerStats {
  /** CPU time used since the container started, in seconds (a counter: rate() gives cores). */
  cpuSeconds: number;
  /** Memory in use that the kernel cannot simply drop (the working set: usage less inactive file cache), bytes. */
  memoryBytes: number;
  /** When the engine took the sample (epoch ms). */
  at: number;
}

export interface RuntimeInfo {
  /** E.g. `docker 20.10.24` or `fake`. */
  engine: string;
  /** Logical CPUs and memory the engine's machine has: a worker's capacity. */
  cpus: number;
  memoryBytes: number;
  hostname: string;
}

export interface ContainerRuntime {
  info(): Promise<RuntimeInfo>;
  /** Creates the bridge network when missing; when present, keeps it as it is and returns it. */
  ensureNetwork(spec: NetworkSpec): Promise<NetworkInfo>;
  /** Removes the network; a missing one is fine. Fails while containers are attached. */
  removeNetwork(name: string): Promise<void>;
  /** Present locally: done. Else pull it; an ImageNotFoundError when that fails. */
  ensureImage(image: string): Promise<void>;
  /** Creates and starts a container; the image must be present (ImageNotFoundError otherwise). */
  start(spec: ContainerSpec): Promise<ContainerInfo>;
  /** Stops (SIGTERM, then SIGKILL after the timeout). Missing or already stopped is fine. */
  stop(id: string, options?: { timeoutSeconds?: number }): Promise<void>;
  /**
   * Removes, killing it when running. Missing is fine. When the engine refuses to remove a stopped container,
   * an implementation may free its name instead (Docker renames it `<name>.stale-<id>`, labels kept) and
   * succeed; a later `remove` tries again.
   */
  remove(id: string): Promise<void>;
  /** By id or name; undefined when there is no such container. */
  inspect(id: string): Promise<ContainerInfo | undefined>;
  /** Containers carrying every given label, stopped ones included. */
  list(options: { labels: Record<string, string> }): Promise<ContainerInfo[]>;
  /** Lifecycle events of matching containers, as they happen; the stream reconnects when it breaks. */
  events(onEvent: (event: RuntimeEvent) => void, options?: EventOptions): EventSubscription;
  /** Creates the named volume when missing (a present one is kept as it is, data and labels). */
  ensureVolume(name: string, labels: Record<string, string>): Promise<VolumeInfo>;
  /** Volumes carrying every given label; with `usage`, their sizes and users too (slower: the engine measures). */
  listVolumes(options: { labels: Record<string, string>; usage?: boolean }): Promise<VolumeInfo[]>;
  /** Removes a volume and its data; a missing one is fine. Fails while a container uses it. */
  removeVolume(name: string): Promise<void>;
  /** Runs a command in a running container. ExecTimeoutError after `timeoutMs`. */
  exec(id: string, argv: string[], options?: { timeoutMs?: number }): Promise<ExecResult>;
  /** The container's output, stopped containers included (NotFoundError when there is no such container). */
  logs(id: string, options?: LogOptions): Promise<LogStream>;
  /** Starts a command in a running container with its input and output attached (NotFound, Conflict when stopped). */
  openExec(id: string, argv: string[], options: ExecSessionOptions): Promise<ExecSession>;
  /** Resource use of a running container now (NotFoundError when missing, ConflictError when stopped). */
  stats(id: string): Promise<ContainerStats>;
  /** Ends event streams; the runtime is not used after. Containers keep running. */
  close(): Promise<void>;
}

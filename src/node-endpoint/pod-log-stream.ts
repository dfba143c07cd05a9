// A pod's output as a node endpoint serves it: its current container's logs and, when following, on across
// restarts: once a container's stream ends, the pod's next container is followed from its first line, after a
// marked gap line (`kubectl logs -f` stops there instead). `previous` serves the copy the worker kept of the
// container before the last restart.
import { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { ConflictError, NotFoundError } from "../core/errors.js";
import { LABEL_MANAGED, LABEL_NODE, LABEL_POD } from "../runtime/labels.js";
import type { ContainerInfo, ContainerRuntime, LogOptions, LogStream } from "../runtime/runtime.js";
import { type KeptContainer, readKept } from "../worker/previous-logs.js";

/** What the node endpoint needs of its worker. */
export interface NodePods {
  readonly node: string;
  readonly runtime: ContainerRuntime;
  /** Whether the pod is bound to this node. */
  hasPod(podId: string): boolean;
  /** The output the worker kept of the pod's previous container. */
  previous(podId: string): KeptContainer | undefined;
}

export interface PodLogOptions extends LogOptions {
  previous?: boolean;
}

/** How often a follower looks for a pod's next container once the current one stopped. */
const NEXT_CONTAINER_POLL_MS = 250;

/** The pod's containers on this node, the running one (else the last to stop) first. */
export async function podContainers(pods: NodePods, podId: string): Promise<ContainerInfo[]> {
  const labels = { [LABEL_MANAGED]: "true", [LABEL_NODE]: pods.node, [LABEL_POD]: podId };
  const containers = await pods.runtime.list({ labels });
  const rank = (c: ContainerInfo) => `${c.running ? 1 : 0}${c.startedAt ?? ""}`;
  return containers.sort((a, b) => rank(b).localeCompare(rank(a)));
}

/**
 * The pod's output, chunk by chunk, until it is all sent (or, with `follow`, until the pod leaves this node or
 * `signal` aborts). Rejects before the first chunk when the pod is not here (NotFound) or has no container
 * (Conflict), so that the caller can still answer with an error status.
 */
export async function openPodLogs(
  pods: NodePods,
  podId: string,
  options: PodLogOptions,
  signal: AbortSignal,
): Promise<AsyncGenerator<Buffer>> {
  if (!pods.hasPod(podId)) throw new NotFoundError(`pod ${podId} is not on node ${pods.node}`);
  if (options.previous) {
    const kept = pods.previous(podId);
    if (!kept) throw new ConflictError(`pod ${podId} has no previous container on node ${pods.node}`);
    return (async function* () {
      for (const chunk of readKept(kept, options)) yield chunk.data;
    })();
  }
  const [current] = await podContainers(pods, podId);
  if (!current) throw new ConflictError(`pod ${podId} has no container yet on node ${pods.node}`);
  const first = await pods.runtime.logs(current.id, options);
  return follow(pods, podId, current, first, options, signal);
}

async function* follow(
  pods: NodePods,
  podId: string,
  first: ContainerInfo,
  firstStream: LogStream,
  options: PodLogOptions,
  signal: AbortSignal,
): AsyncGenerator<Buffer> {
  let container = first;
  let stream: LogStream | undefined = firstStream;
  const abort = () => stream?.close();
  signal.addEventListener("abort", abort);
  try {
    for (;;) {
      for await (const chunk of stream) yield chunk.data;
      stream = undefined;
      if (!options.follow || signal.aborted) return;
      const next = await nextContainer(pods, podId, container, signal);
      if (!next) return;
      if (next.id === container.id) {
        // The stream broke while the container runs on (the engine's connection dropped): pick up from now.
        stream = await pods.runtime.logs(container.id, { ...options, tail: undefined, sinceMs: Date.now() });
        continue;
      }
      yield gapLine(container, await pods.runtime.inspect(container.id), next, pods, podId, options);
      container = next;
      // The new container from its first line, whatever tail and since asked of the first one.
      stream = await pods.runtime.logs(next.id, { follow: true, timestamps: options.timestamps });
      if (signal.aborted) stream.close();
    }
  } finally {
    signal.removeEventListener("abort", abort);
    stream?.close();
  }
}

/** The pod's next container after `ended` (or `ended` itself if it still runs); undefined once the pod left. */
async function nextContainer(
  pods: NodePods,
  podId: string,
  ended: ContainerInfo,
  signal: AbortSignal,
): Promise<ContainerInfo | undefined> {
  while (!signal.aborted && pods.hasPod(podId)) {
    const containers = await podContainers(pods, podId);
    const next = containers.find((c) => c.id !== ended.id && (c.startedAt ?? "") >= (ended.startedAt ?? ""));
    if (next) return next;
    if (containers.find((c) => c.id === ended.id)?.running) return ended;
    await sleep(NEXT_CONTAINER_POLL_MS, undefined, { signal }).catch(() => undefined);
  }
  return undefined;
}

/** `--- <time> container <id> ended (exit code 1); following its replacement <id> ---`: never container output. */
function gapLine(
  ended: ContainerInfo,
  inspected: ContainerInfo | undefined,
  next: ContainerInfo,
  pods: NodePods,
  podId: string,
  options: PodLogOptions,
): Buffer {
  const kept = pods.previous(podId);
  const last = inspected ?? (kept?.containerId === ended.id ? kept : undefined);
  const how = last?.oomKilled
    ? " (out of memory)"
    : last?.exitCode === undefined
      ? ""
      : ` (exit code ${last.exitCode})`;
  const now = new Date().toISOString();
  const text = `--- orchestra: container ${short(ended.id)} ended${how}; following its replacement ${short(next.id)} ---\n`;
  return Buffer.from(options.timestamps ? `${now} ${text}` : text);
}

/**
 * `stream` led by an empty chunk: writing it sends the answer's head at once, so that a client of a followed log
 * that has no new line yet knows that the answer is there (and does not time out waiting for it).
 */
export function headFirst(stream: AsyncIterable<Buffer | string>): Readable {
  return Readable.from(
    (async function* () {
      yield Buffer.alloc(0);
      yield* stream;
    })(),
  );
}

function short(id: string): string {
  return id.slice(0, 12);
}

// The output of each pod's previous container (`orchestra logs --previous`): the worker removes a container that
// exited once it has replaced it, so before the removal it keeps the container's last lines in memory, bounded
// per pod (1000 lines, 1 MiB by default). Lost when the worker restarts, as it is a copy, not the engine's log.
import type { ContainerInfo, ContainerRuntime, LogOptions, OutputStream } from "../runtime/runtime.js";

export interface KeptLine {
  /** The engine's timestamp as written (RFC 3339, nanoseconds), and as epoch ms. */
  stamp: string;
  at: number;
  stream: OutputStream;
  /** The line with its newline. */
  text: string;
}

export interface KeptContainer {
  containerId: string;
  exitCode?: number;
  oomKilled?: boolean;
  finishedAt?: string;
  lines: KeptLine[];
}

export const DEFAULT_PREVIOUS_LOG_LIMITS = { lines: 1000, bytes: 1024 * 1024 };

const STAMPED = /^(\S+) ([\s\S]*)$/;

export class PreviousLogs {
  private readonly kept = new Map<string, KeptContainer>();

  constructor(
    private readonly runtime: ContainerRuntime,
    private readonly limits = DEFAULT_PREVIOUS_LOG_LIMITS,
  ) {}

  /** Copies the last lines of `container` as the pod's previous container (replacing an older copy). */
  async keep(podId: string, container: ContainerInfo): Promise<void> {
    const lines: KeptLine[] = [];
    for await (const chunk of await this.runtime.logs(container.id, {
      tail: this.limits.lines,
      timestamps: true,
    })) {
      for (const piece of chunk.data.toString("utf8").split(/(?<=\n)/)) {
        const match = STAMPED.exec(piece);
        if (!match) continue;
        const [, stamp = "", text = ""] = match;
        lines.push({ stamp, at: Date.parse(stamp), stream: chunk.stream, text });
      }
    }
    let bytes = 0;
    let first = lines.length;
    while (first > 0 && bytes + Buffer.byteLength((lines[first - 1] as KeptLine).text) <= this.limits.bytes) {
      first--;
      bytes += Buffer.byteLength((lines[first] as KeptLine).text);
    }
    this.kept.set(podId, {
      containerId: container.id,
      exitCode: container.exitCode,
      oomKilled: container.oomKilled,
      finishedAt: container.finishedAt,
      lines: lines.slice(first),
    });
  }

  get(podId: string): KeptContainer | undefined {
    return this.kept.get(podId);
  }

  forget(podId: string): void {
    this.kept.delete(podId);
  }
}

/** The kept lines `options` ask for (tail, since, timestamps), as the engine would have answered them. */
export function readKept(kept: KeptContainer, options: LogOptions): { stream: OutputStream; data: Buffer }[] {
  let lines = kept.lines.filter((line) => options.sinceMs === undefined || line.at >= options.sinceMs);
  if (options.tail !== undefined) lines = options.tail === 0 ? [] : lines.slice(-options.tail);
  return lines.map((line) => ({
    stream: line.stream,
    data: Buffer.from(options.timestamps ? `${line.stamp} ${line.text}` : line.text),
  }));
}

// A fake container's output, kept as the engine's log driver keeps it: one entry per line with the time it was
// written, readable with tail, since and timestamps, and followed until the container stops.
import type { LogOptions, LogStream, OutputChunk, OutputStream } from "../../runtime.js";

interface Entry {
  at: number;
  stream: OutputStream;
  line: string;
}

interface Follower {
  timestamps: boolean;
  push(chunk: OutputChunk | null): void;
}

export class FakeOutput {
  private readonly entries: Entry[] = [];
  private readonly followers = new Set<Follower>();
  private ended = false;

  /** Appends `text` (split into lines, each keeping its newline) written at `at`. */
  write(stream: OutputStream, text: string, at: number): void {
    if (this.ended) return;
    for (const line of text.match(/[^\n]*\n|[^\n]+$/g) ?? []) {
      const entry = { at, stream, line };
      this.entries.push(entry);
      for (const follower of this.followers) follower.push(chunkOf(entry, follower.timestamps));
    }
  }

  /** The container stopped: followers reach the end of their stream. */
  end(): void {
    this.ended = true;
    for (const follower of this.followers) follower.push(null);
    this.followers.clear();
  }

  read(options: LogOptions): LogStream {
    let entries = this.entries.filter((e) => options.sinceMs === undefined || e.at >= options.sinceMs);
    if (options.tail !== undefined) entries = options.tail === 0 ? [] : entries.slice(-options.tail);
    const queue: (OutputChunk | null)[] = entries.map((e) => chunkOf(e, options.timestamps ?? false));
    let wake: (() => void) | undefined;
    const follower: Follower = {
      timestamps: options.timestamps ?? false,
      push: (chunk) => {
        queue.push(chunk);
        wake?.();
      },
    };
    if (options.follow && !this.ended) this.followers.add(follower);
    else queue.push(null);
    const followers = this.followers;
    return {
      close() {
        followers.delete(follower);
        queue.length = 0;
        queue.push(null);
        wake?.();
      },
      async *[Symbol.asyncIterator]() {
        for (;;) {
          const next = queue.shift();
          if (next === null) return;
          if (next !== undefined) {
            yield next;
            continue;
          }
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
          wake = undefined;
        }
      },
    };
  }
}

function chunkOf(entry: Entry, timestamps: boolean): OutputChunk {
  const prefix = timestamps ? `${new Date(entry.at).toISOString()} ` : "";
  return { stream: entry.stream, data: Buffer.from(prefix + entry.line) };
}

// A container's logs through the engine's API (`docker logs`): stdout and stderr apart, follow, tail, since,
// timestamps. Only containers started without a terminal are run by Orchestra, so the output is multiplexed.
import { Readable } from "node:stream";
import type Docker from "dockerode";
import { NotFoundError } from "../../core/errors.js";
import type { LogOptions, LogStream, OutputChunk } from "../runtime.js";
import { isStatus } from "./docker-errors.js";
import { outputChunks } from "./docker-output.js";

export async function dockerLogs(docker: Docker, id: string, options: LogOptions): Promise<LogStream> {
  const container = docker.getContainer(id);
  const params = {
    stdout: true,
    stderr: true,
    timestamps: options.timestamps ?? false,
    ...(options.tail !== undefined ? { tail: options.tail } : {}),
    ...(options.sinceMs !== undefined ? { since: engineSince(options.sinceMs) } : {}),
  };
  let raw: NodeJS.ReadableStream;
  try {
    raw = options.follow
      ? await container.logs({ ...params, follow: true })
      : Readable.from([await container.logs({ ...params, follow: false })]);
  } catch (err) {
    if (isStatus(err, 404)) throw new NotFoundError(`container "${id}" not found`);
    throw err;
  }
  const chunks = outputChunks(docker, raw);
  return {
    [Symbol.asyncIterator]: () => chunks[Symbol.asyncIterator]() as AsyncIterator<OutputChunk>,
    close: () => chunks.destroy(),
  };
}

/**
 * The engine reads `since` as seconds and a fraction of nanoseconds ("1700000000.250000000"): written out with
 * all nine digits, so that a shorter fraction is never taken for nanoseconds.
 */
export function engineSince(ms: number): string {
  const whole = Math.floor(ms / 1000);
  const nanos = Math.round((ms - whole * 1000) * 1e6);
  return `${whole}.${String(nanos).padStart(9, "0")}`;
}

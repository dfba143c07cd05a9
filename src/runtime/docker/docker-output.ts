// A container's output from the engine, stdout and stderr apart: without a terminal the engine multiplexes both
// into one stream of frames (an 8-byte header naming the stream and the length), which docker-modem splits.
import { PassThrough, type Readable, Writable } from "node:stream";
import type Docker from "dockerode";
import type { OutputChunk, OutputStream } from "../runtime.js";

/**
 * Splits the engine's multiplexed `raw` stream into chunks of stdout and stderr, in order, to `onChunk`; with
 * `tty`, everything is stdout as it is. `onChunk` returning false pauses `raw` until `resume` is called.
 */
export function demultiplex(
  docker: Docker,
  raw: NodeJS.ReadableStream,
  tty: boolean,
  onChunk: (chunk: OutputChunk) => boolean,
): void {
  if (tty) {
    raw.on("data", (data: Buffer) => {
      if (!onChunk({ stream: "stdout", data })) raw.pause();
    });
    return;
  }
  const sink = (stream: OutputStream) =>
    new Writable({
      write(data: Buffer, _encoding, done) {
        if (!onChunk({ stream, data })) raw.pause();
        done();
      },
    });
  docker.modem.demuxStream(raw, sink("stdout"), sink("stderr"));
}

/** An object-mode stream of OutputChunks read from `raw`, with backpressure: a slow reader pauses the engine's stream. */
export function outputChunks(docker: Docker, raw: NodeJS.ReadableStream): PassThrough {
  const chunks = new PassThrough({ objectMode: true, highWaterMark: 64 });
  demultiplex(docker, raw, false, (chunk) => chunks.write(chunk));
  chunks.on("drain", () => raw.resume());
  const end = () => {
    if (!chunks.writableEnded) chunks.end();
  };
  raw.on("end", end);
  raw.on("close", end);
  raw.on("error", (err: Error) => chunks.destroy(err));
  chunks.on("close", () => (raw as Readable).destroy?.());
  return chunks;
}

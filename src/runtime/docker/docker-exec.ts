// Runs a command inside a running container (health checks) and collects its output and exit code.
import { PassThrough, type Readable } from "node:stream";
import type Docker from "dockerode";
import { ConflictError, NotFoundError } from "../../core/errors.js";
import { ExecTimeoutError } from "../errors.js";
import type { ExecResult } from "../runtime.js";
import { dockerMessage, isStatus } from "./docker-errors.js";

export async function execInContainer(
  docker: Docker,
  id: string,
  argv: string[],
  timeoutMs: number,
): Promise<ExecResult> {
  const exec = await createExec(docker, id, { Cmd: argv, AttachStdout: true, AttachStderr: true });
  const stream = (await exec.start({ hijack: true, stdin: false })) as Readable;

  // Without a TTY the engine multiplexes stdout and stderr into one stream; both go to one buffer, in order.
  const chunks: Buffer[] = [];
  const sink = new PassThrough();
  sink.on("data", (chunk: Buffer) => chunks.push(chunk));
  docker.modem.demuxStream(stream, sink, sink);

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      stream.destroy();
      reject(new ExecTimeoutError(id, timeoutMs));
    }, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    stream.on("end", done);
    stream.on("close", done);
    stream.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });

  const exitCode = await exitCodeOf(exec);
  if (exitCode === undefined) throw new ExecTimeoutError(id, timeoutMs);
  return { exitCode, output: Buffer.concat(chunks).toString("utf8") };
}

/** The engine records an exec's exit code just after its stream ends: waits for it briefly (about 1 s). */
export async function exitCodeOf(exec: Docker.Exec): Promise<number | undefined> {
  for (let attempt = 0; ; attempt++) {
    const state = await exec.inspect();
    if (!state.Running && state.ExitCode !== null) return state.ExitCode;
    if (attempt >= 50) return undefined;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Creates an exec in container `id`, with its errors as the runtime's: NotFound, or Conflict when not running. */
export async function createExec(
  docker: Docker,
  id: string,
  options: Docker.ExecCreateOptions,
): Promise<Docker.Exec> {
  try {
    return await docker.getContainer(id).exec(options);
  } catch (err) {
    if (isStatus(err, 404)) throw new NotFoundError(`container "${id}" not found`);
    if (isStatus(err, 409))
      throw new ConflictError(`container "${id}" is not running: ${dockerMessage(err)}`);
    throw err;
  }
}

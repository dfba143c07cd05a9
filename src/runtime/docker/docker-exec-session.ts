// An interactive command in a container (`docker exec -i [-t]`): the engine hijacks the HTTP connection into a
// raw duplex stream; stdin goes in, output comes out (multiplexed without a terminal), and closing our side of
// the connection closes the command's stdin.
import type { Duplex } from "node:stream";
import type Docker from "dockerode";
import type { ExecSession, ExecSessionOptions, TerminalSize } from "../runtime.js";
import { createExec, exitCodeOf } from "./docker-exec.js";
import { demultiplex } from "./docker-output.js";

export async function openDockerExec(
  docker: Docker,
  id: string,
  argv: string[],
  options: ExecSessionOptions,
): Promise<ExecSession> {
  const tty = options.tty ?? false;
  const stdin = options.stdin ?? false;
  const exec = await createExec(docker, id, {
    Cmd: argv,
    AttachStdin: stdin,
    AttachStdout: true,
    AttachStderr: true,
    Tty: tty,
    // Honoured by engines of API 1.42 and later; older ones get the resize below.
    ...(tty && options.size ? { ConsoleSize: [options.size.rows, options.size.cols] } : {}),
  } as Docker.ExecCreateOptions);
  const stream = (await exec.start({ hijack: true, stdin, Tty: tty })) as Duplex;
  let ended = false;
  const exitCode = new Promise<number | undefined>((resolve) => {
    const done = () => {
      if (ended) return;
      ended = true;
      // A failed inspect (the engine went away) leaves the code unknown.
      exitCodeOf(exec).then(resolve, () => resolve(undefined));
    };
    stream.on("end", done);
    stream.on("close", done);
    stream.on("error", done);
  });
  demultiplex(docker, stream, tty, (chunk) => {
    if (!ended) options.onOutput(chunk);
    return true;
  });
  const resize = async (size: TerminalSize) => {
    if (!tty) return;
    await exec.resize({ h: size.rows, w: size.cols });
  };
  if (tty && options.size) await resize(options.size).catch(() => undefined);
  return {
    write: (data) => {
      if (stdin && !stream.writableEnded) stream.write(data);
    },
    endInput: () => {
      if (!stream.writableEnded) stream.end();
    },
    resize,
    exitCode,
    close: () => stream.destroy(),
  };
}

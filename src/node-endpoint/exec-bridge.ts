// One `exec` on a node endpoint: a WebSocket (channels of exec-channels.ts) joined to a command running in the
// pod's container. Input the client sends before the command has started is held, then delivered in order.
import type { WebSocket } from "ws";
import { CHANNEL, exitStatus, frame, parseResize, unframe } from "../core/exec-channels.js";
import type { Logger } from "../core/logger.js";
import type { ContainerRuntime, ExecSession, TerminalSize } from "../runtime/runtime.js";

export interface ExecRequest {
  containerId: string;
  argv: string[];
  tty: boolean;
  stdin: boolean;
}

/** Output the client has not taken yet beyond which the session ends: a client this slow is gone or stuck. */
export const MAX_UNSENT_OUTPUT_BYTES = 16 * 1024 * 1024;

/** Runs `request` for the client on `socket` until the command ends or the client goes; resolves then. */
export async function bridgeExec(
  socket: WebSocket,
  runtime: ContainerRuntime,
  request: ExecRequest,
  log: Logger,
): Promise<void> {
  let session: ExecSession | undefined;
  let finished = false;
  const held: Buffer[] = [];
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));

  const deliver = (message: Buffer) => {
    const parsed = unframe(message);
    if (!parsed || !session) return;
    if (parsed.channel === CHANNEL.stdin) session.write(parsed.data);
    else if (parsed.channel === CHANNEL.resize) {
      const size: TerminalSize | undefined = parseResize(parsed.data);
      if (size) void session.resize(size).catch((err) => log.debug({ err }, "resize failed"));
    } else if (parsed.channel === CHANNEL.close && parsed.data[0] === CHANNEL.stdin) session.endInput();
  };
  socket.on("message", (data: Buffer, isBinary: boolean) => {
    const message = isBinary ? data : Buffer.from(data);
    if (session) deliver(message);
    else held.push(message);
  });

  const send = (message: Buffer) => {
    if (socket.readyState !== socket.OPEN) return;
    if (socket.bufferedAmount > MAX_UNSENT_OUTPUT_BYTES) {
      log.warn("exec client does not keep up with the output: closing");
      socket.terminate();
      return;
    }
    socket.send(message);
  };
  const end = (status: ReturnType<typeof exitStatus>) => {
    finished = true;
    send(frame(CHANNEL.status, JSON.stringify(status)));
    if (socket.readyState === socket.OPEN) socket.close(1000);
  };

  try {
    session = await runtime.openExec(request.containerId, request.argv, {
      tty: request.tty,
      stdin: request.stdin,
      onOutput: (chunk) =>
        send(frame(chunk.stream === "stdout" ? CHANNEL.stdout : CHANNEL.stderr, chunk.data)),
    });
  } catch (err) {
    end(exitStatus(undefined, `cannot run ${request.argv[0]}: ${(err as Error).message}`));
    return;
  }
  for (const message of held.splice(0)) deliver(message);
  // The client gone first: detach (with a terminal the command gets a hang-up).
  void closed.then(() => {
    if (!finished) session?.close();
  });
  const code = await session.exitCode;
  if (!finished) end(exitStatus(code, "the command's end was not seen (the container stopped?)"));
}

// `orchestra exec [-i] [-t] POD -- CMD ARGS...`: runs a command in a pod's container on whichever machine runs it,
// as `kubectl exec` does: a WebSocket to the API server (channels of v5.channel.k8s.io, src/core/exec-channels.ts),
// which relays it to the pod's node. -i sends this terminal's input (a pipe's too, then its end); -t gives the
// command a terminal: this one goes raw (Ctrl-C is a byte for the remote side) and its size follows on SIGWINCH.
// The command's exit code becomes this process's.
import type { Command } from "commander";
import { WebSocket } from "ws";
import {
  CHANNEL,
  END_OF_INPUT,
  EXEC_PROTOCOL,
  type ExecStatus,
  execQuery,
  exitCodeOf,
  frame,
  resizeFrame,
  unframe,
} from "../../core/exec-channels.js";
import type { ApiClient } from "../api-client.js";
import { CliError, ExitStatus } from "../cli-error.js";
import type { CliIo } from "../cli-io.js";
import { apiClientFor } from "../global-options.js";

type Stdio = NonNullable<CliIo["stdio"]>;

export interface ExecRequest {
  pod: string;
  argv: string[];
  stdin: boolean;
  tty: boolean;
}

/** The WebSocket URL for a request on the client's server. */
export function execUrl(server: string, request: ExecRequest): string {
  const query = execQuery(request.argv, request);
  const url = new URL(`${server}/pods/${encodeURIComponent(request.pod)}/exec?${query}`);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.href;
}

export function registerExec(program: Command, io: CliIo): void {
  program
    .command("exec")
    .description("run a command in a pod's container, on whichever machine runs it")
    .usage("[-i] [-t] POD -- COMMAND [ARGS...]")
    .argument("<pod>", "the pod (web-x5w4w)")
    .argument("<command...>", "the command and its arguments, after --")
    .option("-i, --stdin", "send this terminal's input (or a pipe's) to the command")
    .option("-t, --tty", "give the command a terminal (with -i: an interactive session)")
    .action(async (pod: string, argv: string[], flags: { stdin?: boolean; tty?: boolean }, self: Command) => {
      const stdio = io.stdio;
      if (!stdio) throw new CliError("exec needs the process's own input and output");
      const client = apiClientFor(self, io);
      let tty = flags.tty === true;
      if (tty && flags.stdin && !stdio.stdin.isTTY) {
        // As kubectl: a pipe cannot be a terminal; the command runs without one.
        io.err("Unable to use a TTY - input is not a terminal or the right kind of file\n");
        tty = false;
      }
      const exitCode = await runExec(client, { pod, argv, stdin: flags.stdin === true, tty }, stdio);
      if (exitCode !== 0) throw new ExitStatus("", exitCode);
    });
}

/** Runs the session to its end; resolves with the remote exit code. */
function runExec(client: ApiClient, request: ExecRequest, stdio: Stdio): Promise<number> {
  const authorization = client.authorization;
  const socket = new WebSocket(execUrl(client.server, request), [EXEC_PROTOCOL], {
    headers: authorization ? { authorization } : {},
    handshakeTimeout: 15_000,
    // An https server is verified against the context's CA, as every other request.
    ...(client.ca === undefined ? {} : { ca: client.ca }),
  });
  const { stdin, stdout, stderr } = stdio;
  const raw = request.tty && request.stdin && stdin.isTTY;
  let status: ExecStatus | undefined;

  const sendInput = (data: Buffer) => socket.send(frame(CHANNEL.stdin, data));
  const endInput = () => {
    if (socket.readyState === WebSocket.OPEN) socket.send(END_OF_INPUT);
  };
  const sendSize = () => {
    if (stdout.isTTY) socket.send(resizeFrame({ cols: stdout.columns, rows: stdout.rows }));
  };
  // Without a terminal, Ctrl-C ends this client (as kubectl's); the server then ends the command's session.
  const interrupted = () => socket.close();

  return new Promise<number>((resolve, reject) => {
    let cleaned = false;
    const cleanUp = () => {
      if (cleaned) return;
      cleaned = true;
      if (raw) stdin.setRawMode(false);
      stdin.off("data", sendInput);
      stdin.off("end", endInput);
      stdout.off("resize", sendSize);
      process.off("SIGINT", interrupted);
      // Reading stdin keeps the process alive: let it go, the session is over.
      if (request.stdin) stdin.destroy();
    };

    socket.on("open", () => {
      if (request.tty) {
        sendSize();
        stdout.on("resize", sendSize);
      }
      if (raw) stdin.setRawMode(true);
      else process.on("SIGINT", interrupted);
      if (request.stdin) {
        stdin.on("data", sendInput);
        stdin.on("end", endInput);
        stdin.resume();
      }
    });
    socket.on("message", (message: Buffer) => {
      const { channel, data } = unframe(message) ?? {};
      if (channel === CHANNEL.stdout) stdout.write(data as Buffer);
      else if (channel === CHANNEL.stderr) stderr.write(data as Buffer);
      else if (channel === CHANNEL.status) status = parseJson(String(data)) as ExecStatus | undefined;
    });
    socket.on("unexpected-response", (req, response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        body += chunk;
      });
      response.on("end", () => {
        req.destroy();
        cleanUp();
        reject(client.errorOf(response.statusCode ?? 0, parseJson(body), response.statusMessage));
      });
    });
    socket.on("error", (error) => {
      cleanUp();
      reject(new CliError(`cannot run the command through ${client.server} (${error.message})`));
    });
    socket.on("close", () => {
      cleanUp();
      if (!status) {
        reject(new CliError("the connection closed before the command ended"));
        return;
      }
      const code = exitCodeOf(status);
      if (code === undefined) reject(new CliError(status.message ?? "the command could not run"));
      else resolve(code);
    });
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

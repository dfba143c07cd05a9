// A minimal exec client for tests: runs a command over an exec WebSocket (a node endpoint's or the API's).
import type { ConnectionOptions } from "node:tls";
import { WebSocket } from "ws";
import {
  CHANNEL,
  END_OF_INPUT,
  EXEC_PROTOCOL,
  type ExecStatus,
  execQuery,
  exitCodeOf,
  frame,
  unframe,
} from "../../core/exec-channels.js";

/** Runs `argv` over the endpoint's exec WebSocket; resolves with what came back. */
export function execOver(
  url: string,
  authorization: string,
  argv: string[],
  options: { stdin?: string; tty?: boolean; tls?: ConnectionOptions } = {},
): Promise<{ stdout: string; stderr: string; exitCode: number | undefined }> {
  const query = execQuery(argv, { stdin: options.stdin !== undefined, tty: options.tty });
  const socket = new WebSocket(`${url.replace(/^http/, "ws")}?${query}`, [EXEC_PROTOCOL], {
    headers: { authorization },
    ...options.tls,
  });
  const out = { stdout: "", stderr: "", exitCode: undefined as number | undefined };
  return new Promise((resolve, reject) => {
    socket.on("open", () => {
      if (options.stdin === undefined) return;
      socket.send(frame(CHANNEL.stdin, options.stdin));
      socket.send(END_OF_INPUT);
    });
    socket.on("message", (message: Buffer) => {
      const { channel, data } = unframe(message) ?? {};
      const text = String(data);
      if (channel === CHANNEL.stdout) out.stdout += text;
      if (channel === CHANNEL.stderr) out.stderr += text;
      if (channel === CHANNEL.status) out.exitCode = exitCodeOf(JSON.parse(text) as ExecStatus);
    });
    socket.on("unexpected-response", (request, response) => {
      // ws leaves a refused upgrade's request open to whoever listens for it.
      request.destroy();
      reject(new Error(`HTTP ${response.statusCode}`));
    });
    socket.on("error", reject);
    socket.on("close", () => resolve(out));
  });
}

/** The HTTP status an exec upgrade is refused with; rejects when the upgrade is accepted. */
export function upgradeRefusal(
  url: string,
  headers: Record<string, string>,
  tls?: ConnectionOptions,
): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url.replace(/^http/, "ws"), [EXEC_PROTOCOL], { headers, ...tls });
    socket.on("unexpected-response", (request, response) => {
      request.destroy();
      resolve(response.statusCode);
    });
    socket.on("open", () => {
      socket.terminate();
      reject(new Error(`the upgrade to ${url} was accepted`));
    });
    socket.on("error", reject);
  });
}

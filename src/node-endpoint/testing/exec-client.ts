// A minimal exec client for tests: runs a command over an exec WebSocket (a node endpoint's or the API's).
import type { ConnectionOptions } from "node:tls";
import { WebSocket } from "ws";
import {
  CHANNEL,
  END_OF_INPUT,
  EXEC_PROTOCOL,
  type ExecStatus,
  exitCodeOf,
  frame,
} from "../../core/exec-channels.js";

/** Runs `argv` over the endpoint's exec WebSocket; resolves with what came back. */
export function execOver(
  url: string,
  authorization: string,
  argv: string[],
  options: { stdin?: string; tty?: boolean; tls?: ConnectionOptions } = {},
): Promise<{ stdout: string; stderr: string; exitCode: number | undefined }> {
  const query = new URLSearchParams(argv.map((arg) => ["command", arg]));
  if (options.stdin !== undefined) query.set("stdin", "true");
  if (options.tty) query.set("tty", "true");
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
    socket.on("message", (data: Buffer) => {
      const text = data.subarray(1).toString();
      if (data[0] === CHANNEL.stdout) out.stdout += text;
      if (data[0] === CHANNEL.stderr) out.stderr += text;
      if (data[0] === CHANNEL.status) out.exitCode = exitCodeOf(JSON.parse(text) as ExecStatus);
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

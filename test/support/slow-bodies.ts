// Many clients that each send a request's headers and then its body a byte at a time, run as a child process
// (startSlowBodies) so that the clients' own work does not share the event loop of the API server under test,
// as an attacker's would not. The child prints one JSON line once every socket is open and its headers sent,
// and one when every socket is closed (or its deadline passed), then exits.
import { type ChildProcess, spawn } from "node:child_process";
import { connect, type Socket } from "node:net";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";

export interface SlowBodiesResult {
  /** Milliseconds from each socket's connect to its close by the server; -1 for one still open at the deadline. */
  closedAfterMs: number[];
  /** The start of what the server sent on the first socket. */
  firstReply: string;
}

export interface SlowBodies {
  /** Resolves once every socket is open and has sent its headers. */
  opened: Promise<void>;
  /** Resolves once every socket is closed or the deadline passed. */
  result: Promise<SlowBodiesResult>;
  /** Kills the child (its sockets go with it). */
  stop(): void;
}

interface Spec {
  url: string;
  sockets: number;
  /** How fast they are opened: in batches every 100 ms. */
  perSecond: number;
  everyMs: number;
  deadlineMs: number;
}

/**
 * Opens `sockets` slow bodies against `url`, `perSecond` of them a second, each sending a byte every `everyMs`;
 * gives up waiting for their close `deadlineMs` after the last one opened.
 */
export function startSlowBodies(spec: Spec): SlowBodies {
  const script = fileURLToPath(import.meta.url);
  const child: ChildProcess = spawn(process.execPath, [script, JSON.stringify(spec)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  let opened!: () => void;
  let done!: (result: SlowBodiesResult) => void;
  let failed!: (error: Error) => void;
  const openedPromise = new Promise<void>((resolve) => {
    opened = resolve;
  });
  const result = new Promise<SlowBodiesResult>((resolve, reject) => {
    done = resolve;
    failed = reject;
  });
  lines.on("line", (line) => {
    const message = JSON.parse(line) as Partial<SlowBodiesResult> & { opened?: number };
    if (message.opened !== undefined) opened();
    else done(message as SlowBodiesResult);
  });
  child.once("close", (code, signal) => failed(new Error(`the slow clients exited with ${signal ?? code}`)));
  // An exit before "opened" fails both.
  result.catch(() => {});
  return {
    opened: Promise.race([openedPromise, result.then(() => {})]),
    result,
    stop: () => child.kill("SIGKILL"),
  };
}

async function runClients(spec: Spec): Promise<void> {
  const { hostname, port } = new URL(spec.url);
  const closedAfter: number[] = new Array(spec.sockets).fill(-1);
  let firstReply = "";
  let closed = 0;
  const sockets: Socket[] = [];
  let allOpened!: () => void;
  const opened = new Promise<void>((resolve) => {
    allOpened = resolve;
  });
  const allClosed = new Promise<void>((resolve) => {
    const connectOne = (i: number) =>
      new Promise<void>((connected, refused) => {
        const socket = connect({ host: hostname, port: Number(port) });
        sockets.push(socket);
        socket.on("error", () => {});
        socket.once("error", refused);
        socket.once("connect", () => {
          const since = performance.now();
          socket.write(
            "PUT /deployments HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" +
              'Content-Length: 100000\r\n\r\n{"name":"',
          );
          const timer = setInterval(() => socket.write("x"), spec.everyMs);
          if (i === 0) socket.on("data", (chunk: Buffer) => (firstReply += chunk.toString()));
          socket.once("close", () => {
            clearInterval(timer);
            closedAfter[i] = performance.now() - since;
            if (++closed === spec.sockets) resolve();
          });
          connected();
        });
      });
    const opening: Promise<void>[] = [];
    const batch = Math.max(1, Math.round(spec.perSecond / 10));
    const opener = setInterval(() => {
      for (let n = 0; n < batch && opening.length < spec.sockets; n++)
        opening.push(connectOne(opening.length));
      if (opening.length < spec.sockets) return;
      clearInterval(opener);
      Promise.all(opening).then(
        () => {
          process.stdout.write(`${JSON.stringify({ opened: spec.sockets })}\n`);
          allOpened();
        },
        (error: Error) => {
          process.stderr.write(`slow clients: ${error.message}\n`);
          process.exit(1);
        },
      );
    }, 100);
  });
  await Promise.race([allClosed, opened.then(() => sleep(spec.deadlineMs))]);
  process.stdout.write(
    `${JSON.stringify({ closedAfterMs: closedAfter, firstReply: firstReply.slice(0, 200) })}\n`,
  );
  for (const socket of sockets) socket.destroy();
  process.exit(0);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  void runClients(JSON.parse(process.argv[2] ?? "{}") as Spec);
}

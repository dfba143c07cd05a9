// A client that fills the API with large PUT bodies, run as a child process (startFill) so that writing the
// bodies does not share the event loop of the API server under test, as a real client's would not. It sends
// `requests` PUTs of `body`, `atOnce` in flight at a time, and prints one JSON line: the answers by status.
import { spawn } from "node:child_process";
import { request } from "node:http";
import { fileURLToPath } from "node:url";

interface Spec {
  url: string;
  path: string;
  body: string;
  requests: number;
  atOnce: number;
}

/** Answers by status code ("socket" for a request that got none), with the first answer's body. */
export interface FillResult {
  statuses: Record<string, number>;
  firstBody: string;
}

/** Runs the fill in a child process; resolves with its answers once every request is answered. */
export function startFill(spec: Spec): { result: Promise<FillResult>; stop(): void } {
  const script = fileURLToPath(import.meta.url);
  const child = spawn(process.execPath, [script], { stdio: ["pipe", "pipe", "inherit"] });
  child.stdin.end(JSON.stringify(spec));
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const result = new Promise<FillResult>((resolve, reject) => {
    child.once("close", (code, signal) => {
      if (code === 0) resolve(JSON.parse(output) as FillResult);
      else reject(new Error(`the fill client exited with ${signal ?? code}`));
    });
  });
  return { result, stop: () => child.kill("SIGKILL") };
}

function put(spec: Spec): Promise<{ status: string; body: string }> {
  const { hostname, port } = new URL(spec.url);
  return new Promise((resolve) => {
    const req = request(
      {
        host: hostname,
        port,
        path: spec.path,
        method: "PUT",
        agent: false,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(spec.body) },
      },
      (res) => {
        let body = "";
        res.on("data", (chunk: Buffer) => {
          body += chunk.toString();
        });
        res.on("end", () => resolve({ status: String(res.statusCode), body }));
      },
    );
    // The server may close before the whole body is written: its answer, if it came, is what counts.
    req.on("error", () => resolve({ status: "socket", body: "" }));
    req.end(spec.body);
  });
}

async function fill(spec: Spec): Promise<FillResult> {
  const statuses: Record<string, number> = {};
  let firstBody: string | undefined;
  for (let sent = 0; sent < spec.requests; sent += spec.atOnce) {
    const wave = Array.from({ length: Math.min(spec.atOnce, spec.requests - sent) }, () => put(spec));
    for (const { status, body } of await Promise.all(wave)) {
      statuses[status] = (statuses[status] ?? 0) + 1;
      firstBody ??= body;
    }
  }
  return { statuses, firstBody: firstBody ?? "" };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  let input = "";
  process.stdin.on("data", (chunk: Buffer) => {
    input += chunk.toString();
  });
  process.stdin.on("end", () => {
    fill(JSON.parse(input) as Spec).then((result) => {
      process.stdout.write(JSON.stringify(result));
      process.exit(0);
    });
  });
}

// One health probe of a container: a command run inside it, an HTTP GET on the pod's IP, or a TCP connect.
// A probe never throws: whatever goes wrong (timeout, refused connection, 500) is a failed result.
import { request } from "node:http";
import { connect } from "node:net";
import type { HealthCheck } from "../../core/types.js";
import type { ContainerRuntime } from "../../runtime/runtime.js";

export interface ProbeTarget {
  containerId: string;
  /** The pod's address on its network; http and tcp probes need it. */
  ip?: string;
}

export interface ProbeResult {
  ok: boolean;
  /** Why it failed (or what it saw), for events and logs. */
  detail: string;
}

/** Runs the check once against `target`, within the check's timeout. */
export async function runProbe(
  check: HealthCheck,
  target: ProbeTarget,
  runtime: ContainerRuntime,
): Promise<ProbeResult> {
  const timeoutMs = check.timeoutSeconds * 1000;
  try {
    if (check.exec) return await execProbe(runtime, target.containerId, check.exec, timeoutMs);
    if (check.http) return await httpProbe(target.ip, check.http.port, check.http.path, timeoutMs);
    if (check.tcp) return await tcpProbe(target.ip, check.tcp.port, timeoutMs);
    return { ok: false, detail: "health check has no exec, http or tcp probe" };
  } catch (err) {
    return { ok: false, detail: err instanceof Error ? err.message : String(err) };
  }
}

async function execProbe(
  runtime: ContainerRuntime,
  containerId: string,
  argv: string[],
  timeoutMs: number,
): Promise<ProbeResult> {
  const result = await runtime.exec(containerId, argv, { timeoutMs });
  if (result.exitCode === 0) return { ok: true, detail: "exit code 0" };
  const output = result.output.trim().slice(0, 200);
  return {
    ok: false,
    detail: `${JSON.stringify(argv)} exited ${result.exitCode}${output ? `: ${output}` : ""}`,
  };
}

/** GET without following redirects: a 3xx answer is a live server, as Kubernetes and Docker count it. */
function httpProbe(
  ip: string | undefined,
  port: number,
  path: string,
  timeoutMs: number,
): Promise<ProbeResult> {
  if (!ip) return Promise.resolve({ ok: false, detail: "pod has no IP" });
  const url = `http://${ip}:${port}${path}`;
  return new Promise((resolve) => {
    const req = request(url, { method: "GET", timeout: timeoutMs, agent: false }, (res) => {
      const status = res.statusCode ?? 0;
      res.resume(); // the body does not matter; drain it so the socket closes
      req.destroy();
      const ok = status >= 200 && status < 400;
      resolve({ ok, detail: `GET ${url}: ${status}` });
    });
    req.on("timeout", () => {
      req.destroy();
      resolve({ ok: false, detail: `GET ${url}: no answer within ${timeoutMs} ms` });
    });
    req.on("error", (err) => resolve({ ok: false, detail: `GET ${url}: ${err.message}` }));
    req.end();
  });
}

function tcpProbe(ip: string | undefined, port: number, timeoutMs: number): Promise<ProbeResult> {
  if (!ip) return Promise.resolve({ ok: false, detail: "pod has no IP" });
  const address = `${ip}:${port}`;
  return new Promise((resolve) => {
    const socket = connect({ host: ip, port, timeout: timeoutMs });
    socket.on("connect", () => {
      socket.destroy();
      resolve({ ok: true, detail: `connected to ${address}` });
    });
    socket.on("timeout", () => {
      socket.destroy();
      resolve({ ok: false, detail: `connect to ${address}: no answer within ${timeoutMs} ms` });
    });
    socket.on("error", (err) => resolve({ ok: false, detail: `connect to ${address}: ${err.message}` }));
  });
}

// Multi-host tests on the lab (src/lab/): hosts as network namespaces with engines of their own, the control plane
// and ZooKeeper in the root namespace. One lab per test file, removed in `after` even when a test failed.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { Lab, type LabOptions } from "../../src/lab/lab.js";
import type { ExecResult } from "../../src/runtime/runtime.js";
import { runCli } from "./cluster.js";
import { ensureTestImages } from "./images.js";

/** A lab of `hosts` hosts named for this test run; the demo images are built first and copied into each engine. */
export async function startTestLab(hosts: number, options: LabOptions = {}): Promise<Lab> {
  await ensureTestImages();
  return Lab.up({ name: `t${randomBytes(3).toString("hex")}`, hosts, ...options });
}

/** Runs argv in a container on a lab host's engine. */
export async function podExec(
  lab: Lab,
  host: string,
  containerId: string,
  argv: string[],
): Promise<ExecResult> {
  const runtime = lab.runtime(host);
  try {
    return await runtime.exec(containerId, argv, { timeoutMs: 15_000 });
  } finally {
    await runtime.close();
  }
}

/** `wget -qO- URL` in a container, bounded from outside (busybox-static's own -T crashes). */
export function podGet(lab: Lab, host: string, containerId: string, url: string): Promise<ExecResult> {
  return podExec(lab, host, containerId, ["timeout", "5", "wget", "-qO-", url]);
}

/** GET on the lab's API; the answer's JSON, which must come with a 200. */
export async function labApi<T>(lab: Lab, path: string): Promise<T> {
  const response = await fetch(`${lab.apiUrl}${path}`, { signal: AbortSignal.timeout(5000) });
  assert.equal(response.status, 200, `GET ${path}`);
  return (await response.json()) as T;
}

/** `orchestra ...args` against the lab's API; its stdout, once it exited 0. */
export async function labCli(lab: Lab, args: string[]): Promise<string> {
  const result = await runCli(args, { server: lab.apiUrl });
  assert.equal(result.code, 0, `orchestra ${args.join(" ")}: ${result.stderr}`);
  return result.stdout;
}

// Multi-host tests on the lab (src/lab/): hosts as network namespaces with engines of their own, the control plane
// and ZooKeeper in the root namespace. One lab per test file, removed in `after` even when a test failed.
import { randomBytes } from "node:crypto";
import { Lab, type LabOptions } from "../../src/lab/lab.js";
import type { ExecResult } from "../../src/runtime/runtime.js";
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

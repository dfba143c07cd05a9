// What a lab records about itself in `<root>/<name>/lab.json`, written after each step of `lab up`, so that
// `lab down` knows what to stop even after a crash half-way (and finds the rest by its naming convention).
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface LabHostState {
  name: string;
  /** Network namespace, e.g. `olab-lab-h1`. */
  netns: string;
  address: string;
  /** Its engine's socket, for `--docker-host` and `docker -H`. */
  dockerHost: string;
  dockerdPid?: number;
  workerPid?: number;
}

export interface LabState {
  name: string;
  /** The lab's folder. */
  dir: string;
  subnet: string;
  rootAddress: string;
  podCidr: string;
  storeUrl?: string;
  apiUrl?: string;
  dns?: string;
  zookeeperPid?: number;
  /** The control plane: api, controller, scheduler, dns. */
  components: { role: string; pid: number }[];
  hosts: LabHostState[];
}

export function stateFile(dir: string): string {
  return join(dir, "lab.json");
}

export function writeLabState(state: LabState): void {
  const file = stateFile(state.dir);
  writeFileSync(`${file}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}

export function readLabState(dir: string): LabState | undefined {
  try {
    return JSON.parse(readFileSync(stateFile(dir), "utf8")) as LabState;
  } catch {
    return undefined;
  }
}

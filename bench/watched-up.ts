// `orchestra up` for bench:docker: the same all-in-one the CLI starts (`up()`), plus one watch on /pods in the
// same process, which prints when each pod was first seen created, bound and Running (one JSON line each), so
// that the benchmark measures pod start-up through a watch without polling the API (there is no pod watch over
// HTTP). Usage: node dist/bench/watched-up.js DATA_DIR NODE NETWORK. Prints `api URL` first; exits on SIGTERM.
import { up } from "../src/cmd/up.js";
import type { Pod } from "../src/core/types.js";

export interface PodSighting {
  pod: string;
  deployment: string;
  stage: "created" | "bound" | "running";
  /** When the watch saw it (ms since the epoch). */
  at: number;
  /** The pod's own createdAt (ms since the epoch). */
  createdAt: number;
}

const [dataDir, nodeName, network] = process.argv.slice(2);
if (!dataDir || !nodeName || !network) {
  process.stderr.write("usage: watched-up.js DATA_DIR NODE NETWORK\n");
  process.exit(2);
}

const cluster = await up({ dataDir, apiHost: "127.0.0.1", apiPort: 0, nodeName, network });
const seen = new Map<string, Set<PodSighting["stage"]>>();
const print = (pod: Pod, stage: PodSighting["stage"], at: number) => {
  const stages = seen.get(pod.id) ?? new Set();
  if (stages.has(stage)) return;
  stages.add(stage);
  seen.set(pod.id, stages);
  const line: PodSighting = {
    pod: pod.id,
    deployment: pod.deployment,
    stage,
    at,
    createdAt: Date.parse(pod.createdAt),
  };
  process.stdout.write(`${JSON.stringify(line)}\n`);
};
const watch = await cluster.store.watch<Pod>("/pods", (event) => {
  const at = Date.now();
  if (event.type === "delete") {
    seen.delete(event.key.slice("/pods/".length));
    return;
  }
  const pod = event.value;
  print(pod, "created", at);
  if (pod.node) print(pod, "bound", at);
  if (pod.status.phase === "Running") print(pod, "running", at);
});
process.stdout.write(`api ${cluster.apiUrl}\n`);

const stop = () => {
  watch.stop();
  void cluster.stop().then(() => process.exit(0));
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
// Never outlive the benchmark that started us.
process.stdin.on("end", stop);
process.stdin.resume();

// Prints the top self-time functions of a V8 .cpuprofile (from `node --cpu-prof`): where the CPU went.
import { readFileSync } from "node:fs";
import { fmt, numberFlag, printTable } from "./stats.js";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const file = process.argv[2];
if (!file) throw new Error("usage: node dist/bench/profile-top.js FILE.cpuprofile [--top N]");
const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
const selfMicros = new Map<number, number>();
profile.samples.forEach((id, i) => {
  selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
});
const byFunction = new Map<string, number>();
let total = 0;
for (const node of profile.nodes) {
  const micros = selfMicros.get(node.id) ?? 0;
  total += micros;
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url ? `${url.replace(/^file:\/\/.*?\/(dist|node_modules)\//, "$1/")}:${lineNumber + 1}` : "";
  const name = `${functionName || "(anonymous)"} ${where}`.trim();
  byFunction.set(name, (byFunction.get(name) ?? 0) + micros);
}
const top = [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, numberFlag("top", 25));
printTable(
  ["self ms", "%", "function"],
  top.map(([name, micros]) => [fmt(micros / 1000), fmt((micros / total) * 100), name]),
);

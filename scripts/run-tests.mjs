#!/usr/bin/env node
// Runs the compiled tests (dist/) with node's test runner. Node 20 takes no globs, so list the files here.
// Usage: node scripts/run-tests.mjs [src|test|path-prefix ...] [--test-name-pattern=... and other node --test flags]
// (default: src and test, which includes the fault suite in test/faults)
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

const args = process.argv.slice(2);
const flags = args.filter((arg) => arg.startsWith("--"));
const paths = args.filter((arg) => !arg.startsWith("--"));
const roots = paths.length > 0 ? paths : ["src", "test"];

function collect(dir, out) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const entry of entries) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) collect(path, out);
    else if (entry.endsWith(".test.js")) out.push(path);
  }
  return out;
}

const files = roots.flatMap((root) => {
  const path = join("dist", root);
  try {
    return statSync(path).isDirectory() ? collect(path, []) : [path];
  } catch {
    return [];
  }
});
if (files.length === 0) {
  console.error(`no compiled tests under ${roots.join(", ")}: run npm run build first`);
  process.exit(1);
}
files.sort();
// Tests that share Docker and ZooKeeper run one file at a time: two cores, one engine.
const result = spawnSync(process.execPath, ["--test", "--test-concurrency=1", ...flags, ...files], {
  stdio: "inherit",
});
process.exit(result.status ?? 1);

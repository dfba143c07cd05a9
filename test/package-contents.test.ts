// What `npm pack` would publish is the product and nothing else: every module the `orchestra` command can load
// (from dist/src/cli/main.js, following its imports), no test, harness or fixture (`*.test.ts`, `testing/`
// folders), and the patch that `npm install` applies to the ZooKeeper client.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join, posix } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const ENTRY = "dist/src/cli/main.js";

/** The files `npm pack` would put in the package, relative to the repository. */
async function packedFiles(): Promise<string[]> {
  const { stdout } = await promisify(execFile)("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
    cwd: ROOT,
    maxBuffer: 16 * 1024 * 1024,
  });
  const [pack] = JSON.parse(stdout) as { files: { path: string }[] }[];
  assert.ok(pack, "npm pack printed no package");
  return pack.files.map((file) => file.path).sort();
}

/** A module of types only: TypeScript leaves comments and `export {};`, nothing to load. */
function typesOnly(file: string): boolean {
  const lines = readFileSync(join(ROOT, file), "utf8").split("\n");
  const code = lines.map((line) => line.trim()).filter((line) => line !== "" && !line.startsWith("//"));
  return code.length === 1 && code[0] === "export {};";
}

/** The compiled modules reachable from `entry` by relative static and dynamic imports. */
function reachableModules(entry: string): Set<string> {
  const seen = new Set<string>();
  const pending = [entry];
  const specifier =
    /(?:^|\s)(?:import|export)\s[^;]*?from\s*["'](\.[^"']+)["']|import\(\s*["'](\.[^"']+)["']\s*\)/g;
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (seen.has(file)) continue;
    seen.add(file);
    const text = readFileSync(join(ROOT, file), "utf8");
    for (const match of text.matchAll(specifier)) {
      const relative = match[1] ?? match[2] ?? "";
      pending.push(posix.normalize(posix.join(posix.dirname(file), relative)));
    }
  }
  return seen;
}

test("the package holds the modules the CLI loads, and no test, harness or fixture", async () => {
  const files = await packedFiles();
  const modules = files.filter((file) => file.endsWith(".js"));
  const reachable = reachableModules(ENTRY);

  assert.deepEqual(
    modules.filter((file) => /\.test\.js$|\/testing\//.test(file)),
    [],
    "tests or test support in the package",
  );
  assert.deepEqual(
    modules.filter((file) => !reachable.has(file) && !typesOnly(file)),
    [],
    "modules in the package that the orchestra command never loads (test-only or dead code)",
  );
  assert.deepEqual(
    [...reachable].filter((file) => !files.includes(file)).sort(),
    [],
    "modules the orchestra command loads that the package lacks",
  );
  assert.ok(files.includes("patches/node-zookeeper-client+1.1.3.patch"), "the ZooKeeper client's patch");
  assert.ok(files.includes("package.json"));
});

// Log lines as a person or a machine reads them: `orchestra run ...` (and `up`, which shares the choice) writes
// readable lines when stderr is a terminal (a pseudo-terminal made with `script`) and JSON otherwise, unless
// --log-format says. No Docker: the scheduler on an embedded store logs enough.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { CLI, eventually, runCli } from "./support/cluster.js";

let dir: string;
/** The escape character that starts a terminal's colour sequence. */
const ESC = String.fromCharCode(27);

/** Single-quoted for sh. */
function quoted(word: string): string {
  return `'${word.replaceAll("'", "'\\''")}'`;
}

/**
 * Runs `orchestra run scheduler` until it logged that it started, on a pseudo-terminal (`script`) or with stderr
 * on a pipe, and returns what it wrote to stderr (on a terminal, stdout and stderr are one stream).
 */
async function schedulerOutput(terminal: boolean, flags: string[] = []): Promise<string> {
  const store = join(dir, `store-${Math.random().toString(36).slice(2)}`);
  // `timeout` bounds the process even if it outlived the test.
  const argv = ["timeout", "60", process.execPath, CLI, "run", "scheduler", "--store", `embedded:${store}`];
  argv.push("--metrics-port", "0", ...flags);
  const child = terminal
    ? spawn("script", ["-qfec", `exec ${argv.map(quoted).join(" ")}`, "/dev/null"], {
        stdio: ["pipe", "pipe", "pipe"],
        env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/root", TERM: "xterm" },
      })
    : spawn(argv[0] as string, argv.slice(1), {
        stdio: ["ignore", "pipe", "pipe"],
        env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/root" },
      });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise((resolve) => child.once("exit", resolve));
  try {
    await eventually(() => assert.match(output, /leading: scheduling/), { timeoutMs: 30_000 });
  } finally {
    // On the terminal, script's end hangs the line up, and the scheduler goes with it.
    child.kill("SIGTERM");
    await exited;
  }
  return output;
}

const logLines = (output: string) =>
  output.split(/\r?\n/).filter((line) => /campaigning|elected leader|leading: scheduling/.test(line));

describe("log format of the component processes", { timeout: 180_000 }, () => {
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "orchestra-log-format-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("on a terminal: readable, coloured lines with the time, level, component and message", async () => {
    const lines = logLines(await schedulerOutput(true));
    assert.ok(lines.length >= 2, lines.join("\n"));
    for (const line of lines) {
      assert.doesNotMatch(line, /^\{/);
      // Colours are escape sequences; without them: [12:34:56.789] INFO: scheduler: elected leader {"candidate":...}
      const plain = line
        .split(ESC)
        .map((part, i) => (i === 0 ? part : part.replace(/^\[[\d;]*m/, "")))
        .join("");
      assert.match(plain, /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: scheduler: [a-z]/);
      assert.ok(line.includes(`${ESC}[`), `no colour: ${line}`);
    }
  });

  test("on a pipe: one JSON object a line, with the component", async () => {
    const lines = logLines(await schedulerOutput(false));
    assert.ok(lines.length >= 2, lines.join("\n"));
    for (const line of lines) {
      const parsed = JSON.parse(line) as { component?: string; level?: number; msg?: string };
      assert.equal(parsed.component, "scheduler");
      assert.equal(parsed.level, 30);
    }
  });

  test("--log-format overrides the guess either way", async () => {
    for (const line of logLines(await schedulerOutput(true, ["--log-format", "json"]))) {
      assert.equal((JSON.parse(line) as { component: string }).component, "scheduler");
    }
    const pretty = logLines(await schedulerOutput(false, ["--log-format", "pretty"]));
    assert.ok(pretty.length >= 2);
    // Not a terminal: no colours.
    for (const line of pretty) assert.match(line, /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: scheduler: [a-z]/);
  });

  test("an unknown format is refused in one line, by `run` and by `up`, before anything starts", async () => {
    for (const args of [
      ["run", "scheduler", "--store", `embedded:${join(dir, "never")}`, "--log-format", "yaml"],
      ["up", "--data-dir", join(dir, "never-up"), "--log-format", "yaml"],
    ]) {
      const result = await runCli(args);
      assert.notEqual(result.code, 0, `${args.join(" ")} exited 0`);
      assert.match(result.stderr.trim(), /^error: .*--log-format.*yaml/);
      assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
    }
  });
});

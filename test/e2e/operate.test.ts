// Logs, exec and top from anywhere the API is, on the lab: two hosts (network namespaces with their own engines
// and workers), the API server in the root namespace, so every pod runs on another machine than the API and
// the CLI. Each worker serves its pods' logs and exec on its node endpoint; the API proxies to it. Also: a
// direct request to a node endpoint (HTTPS only, with the node's own certificate), or to an API with a token,
// without the right credential runs nothing.
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { Agent, fetch as pinnedFetch } from "undici";
import type { NodeInfo, Pod } from "../../src/core/types.js";
import type { Lab } from "../../src/lab/lab.js";
import { pinnedTlsOptions } from "../../src/node-endpoint/endpoint-pinning.js";
import { upgradeRefusal } from "../../src/node-endpoint/testing/exec-client.js";
import { CLI, eventually, OrchestraProcess, runCli } from "../support/cluster.js";
import { TEST_IMAGE } from "../support/images.js";
import { podExec, startTestLab } from "../support/lab.js";

const STEP_TIMEOUT_MS = 120_000;
const TOKEN = "operate-test-token-0123456789";
/** Prints `boot`, `to-stderr` (on stderr) and `ready`, then what is put in /tmp/say; exits 3 once /tmp/stop exists. */
const TALKER = [
  "sh",
  "-c",
  "echo boot; echo to-stderr >&2; sleep 0.2; echo ready; while true; do " +
    "if [ -f /tmp/say ]; then cat /tmp/say; rm -f /tmp/say; fi; if [ -f /tmp/stop ]; then exit 3; fi; sleep 0.1; done",
];

let lab: Lab;
let tokenApi: OrchestraProcess;
let dir: string;
let pods: Pod[];

async function api<T>(path: string): Promise<T> {
  const response = await fetch(`${lab.apiUrl}${path}`, { signal: AbortSignal.timeout(5000) });
  assert.equal(response.status, 200, `GET ${path}`);
  return (await response.json()) as T;
}

function cli(args: string[], options: { input?: string; server?: string } = {}) {
  return runCli(args, { server: options.server ?? lab.apiUrl, input: options.input });
}

async function cliOk(args: string[], input?: string): Promise<string> {
  const result = await cli(args, { input });
  assert.equal(result.code, 0, `orchestra ${args.join(" ")}: ${result.stderr}`);
  return result.stdout;
}

/** Runs argv in the pod's container directly on its host's engine (not through Orchestra). */
function inPod(pod: Pod, argv: string[]) {
  return podExec(lab, pod.node as string, pod.status.containerId as string, argv);
}

/** The talker's pods once both run (with a container id), by name. */
async function runningPods(): Promise<Pod[]> {
  return eventually(
    async () => {
      const found = (await api<Pod[]>("/pods?deployment=talk")).filter(
        (pod) => pod.status.phase === "Running" && pod.status.containerId,
      );
      assert.equal(found.length, 2);
      return found.sort((a, b) => a.name.localeCompare(b.name));
    },
    { timeoutMs: 60_000, intervalMs: 200 },
  );
}

describe("logs, exec and top across machines (the lab)", { timeout: 600_000 }, () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "orchestra-operate-"));
    lab = await startTestLab(2);
    // A second API server on the lab's store, with a token: the proxied routes without it.
    const tokenFile = join(dir, "token");
    writeFileSync(tokenFile, TOKEN, { mode: 0o600 });
    tokenApi = await OrchestraProcess.start([
      "run",
      "api",
      "--store",
      lab.storeUrl,
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--token-file",
      tokenFile,
    ]);
    await cliOk(["deploy", "talk", "--image", TEST_IMAGE, "--replicas", "2", "--", ...TALKER]);
    pods = await runningPods();
    for (const pod of pods) {
      await eventually(async () => assert.match(await cliOk(["logs", pod.name]), /ready\n/), {
        timeoutMs: 30_000,
      });
    }
  });

  after(async () => {
    await tokenApi?.terminate();
    await lab?.down();
    rmSync(dir, { recursive: true, force: true });
  });

  test("a pod's logs from its host: stdout and stderr, --tail, --timestamps, --since", {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    const [pod] = pods as [Pod];
    assert.deepEqual((await cliOk(["logs", pod.name])).split("\n").sort(), [
      "",
      "boot",
      "ready",
      "to-stderr",
    ]);
    assert.equal(await cliOk(["logs", pod.name, "--tail", "1"]), "ready\n");
    assert.match(
      await cliOk(["logs", pod.name, "--tail", "1", "--timestamps"]),
      /^\d{4}-\d\d-\d\dT\S+Z ready\n$/,
    );
    // Lines written before a time are left out (an RFC 3339 time: a CLI process may take seconds to start here).
    const cut = new Date().toISOString();
    await inPod(pod, ["sh", "-c", "echo late-line > /tmp/say"]);
    await eventually(
      async () => assert.equal(await cliOk(["logs", pod.name, "--since", cut]), "late-line\n"),
      {
        timeoutMs: 30_000,
      },
    );
    assert.equal(await cliOk(["logs", `pod/${pod.name}`, "--since", "1h", "--tail", "1"]), "late-line\n");
  });

  test("a deployment's logs: every pod's lines with a [pod] prefix", {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    const lines = (await cliOk(["logs", "deployment/talk"])).split("\n");
    for (const pod of pods) {
      for (const text of ["boot", "to-stderr", "ready"])
        assert.ok(lines.includes(`[${pod.name}] ${text}`), text);
    }
  });

  test("exec: output, stderr and the exit code; stdin from a pipe", {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    const [, pod] = pods as [Pod, Pod];
    const result = await cli(["exec", pod.name, "--", "sh", "-c", "echo out; echo err >&2; exit 7"]);
    assert.deepEqual(result, { code: 7, stdout: "out\n", stderr: "err\n" });
    const piped = await cli(["exec", "-i", pod.name, "--", "cat"], { input: "hi\nthere\n" });
    assert.deepEqual(piped, { code: 0, stdout: "hi\nthere\n", stderr: "" });
  });

  test("bad input: one error line and a non-zero exit", { timeout: STEP_TIMEOUT_MS }, async () => {
    const cases: [string[], RegExp][] = [
      [["logs", "talk-nope"], /^error: .*talk-nope.*not found/],
      [["logs", pods[0]?.name ?? "", "--tail", "x"], /^error: --tail: must be a number of lines/],
      [["exec", "talk-nope", "--", "true"], /^error: .*talk-nope.*not found/],
      [["top", "things"], /^error: kind: "things" is not pods or nodes/],
    ];
    for (const [args, message] of cases) {
      const result = await cli(args);
      assert.equal(result.code, 1, args.join(" "));
      assert.match(result.stderr, message);
      assert.equal(result.stderr.split("\n").length, 2, "one line");
    }
  });

  test("an interactive session in a terminal: typed commands, resize, Ctrl-C, the exit code", {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    const [pod] = pods as [Pod];
    const tmux = (...args: string[]) =>
      promisify(execFile)("tmux", ["-L", `orchestra-${lab.name}`, ...args], { timeout: 10_000 });
    const exitFile = join(dir, "exit-code");
    const command = `${process.execPath} ${CLI} --server ${lab.apiUrl} exec -it ${pod.name} -- sh; echo $? > ${exitFile}`;
    try {
      await tmux("new-session", "-d", "-s", "exec", "-x", "100", "-y", "30", command);
      const screen = async () => (await tmux("capture-pane", "-p", "-t", "exec")).stdout;
      const type = (keys: string) => tmux("send-keys", "-t", "exec", keys, "Enter");
      const shows = (pattern: RegExp) =>
        eventually(async () => assert.match(await screen(), pattern), { timeoutMs: 30_000, intervalMs: 100 });
      /** `rows cols` of the terminal tmux gives the CLI, as `stty size` prints it. */
      const paneSize = async () =>
        (await tmux("display-message", "-p", "-t", "exec", "#{pane_height} #{pane_width}")).stdout.trim();
      await shows(/# ?$/m);
      await type("echo $((6*7))");
      await shows(/^42$/m);
      await type("stty size");
      await shows(new RegExp(`^${await paneSize()}$`, "m"));
      await tmux("resize-window", "-t", "exec", "-x", "90", "-y", "25");
      const resized = await paneSize();
      assert.match(resized, / 90$/);
      await type("clear; stty size");
      await shows(new RegExp(`^${resized}$`, "m"));
      // Ctrl-C reaches the remote command, not this client: the session goes on.
      await type("sleep 60");
      await sleep(500);
      await tmux("send-keys", "-t", "exec", "C-c");
      await type("echo still-here");
      await shows(/^still-here$/m);
      await type("exit 4");
      await eventually(() => assert.equal(readFileSync(exitFile, "utf8"), "4\n"), { timeoutMs: 30_000 });
    } finally {
      await tmux("kill-server").catch(() => undefined);
    }
  });

  test("logs -f sees a new line within 1 s and goes on across a restart, with a marked gap; --previous", {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    const [pod] = pods as [Pod];
    const follower = spawn(
      process.execPath,
      [CLI, "--server", lab.apiUrl, "logs", "-f", "--tail", "1", pod.name],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let seen = "";
    follower.stdout.on("data", (chunk: Buffer) => {
      seen += chunk.toString();
    });
    try {
      // Following once the last line so far came (a loaded machine takes seconds to start a process).
      await eventually(() => assert.match(seen, /\n$/), { timeoutMs: 30_000, intervalMs: 20 });
      await inPod(pod, ["sh", "-c", "echo fresh-line > /tmp/say"]);
      const said = Date.now();
      await eventually(() => assert.match(seen, /fresh-line\n/), { timeoutMs: 5000, intervalMs: 20 });
      const delay = Date.now() - said;
      assert.ok(delay < 1000, `the line came after ${delay} ms`);
      await inPod(pod, ["touch", "/tmp/stop"]);
      await eventually(
        () =>
          assert.match(
            seen,
            // stdout and stderr are two streams: "to-stderr" may come before or after "boot".
            /fresh-line\n--- orchestra: container \w+ ended \(exit code 3\); following its replacement \w+ ---\n[\s\S]*boot\n/,
          ),
        { timeoutMs: 30_000, intervalMs: 100 },
      );
      assert.equal(follower.exitCode, null, "still following");
    } finally {
      const exited = new Promise((resolve) => follower.once("close", resolve));
      follower.kill("SIGINT");
      await exited;
    }
    // The ended container's whole output, its last line last ("to-stderr" may come before or after "boot").
    const previous = (await cliOk(["logs", pod.name, "--previous"])).split("\n");
    assert.deepEqual(previous.slice(-2), ["fresh-line", ""], previous.join("\n"));
    for (const line of ["boot", "to-stderr", "ready"])
      assert.ok(previous.includes(line), previous.join("\n"));
  });

  test("without the right token: the node endpoint and the API's routes refuse, and nothing runs", {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    const [, pod] = pods as [Pod, Pod];
    const node = (await api<NodeInfo[]>("/nodes")).find((n) => n.name === pod.node);
    assert.ok(node?.endpoint && node.endpointCertificate, "the node registers its endpoint and certificate");
    assert.match(node.endpoint, /^https:\/\//);
    // Trusting the node's certificate as API servers do: TLS goes through, and the credential is still asked for.
    const tls = pinnedTlsOptions(node.endpointCertificate);
    const dispatcher = new Agent({ connect: tls });
    const attempts: Record<string, string>[] = [
      {},
      { authorization: `Bearer ${TOKEN}` },
      { authorization: "Bearer guessed" },
    ];
    try {
      for (const headers of attempts) {
        const direct = await pinnedFetch(`${node.endpoint}/pods/${pod.id}/log`, { headers, dispatcher });
        assert.equal(direct.status, 401, "only API servers' own credentials");
        await direct.body?.cancel();
      }
    } finally {
      await dispatcher.close();
    }
    const url = `${node.endpoint}/pods/${pod.id}/exec?command=touch&command=/tmp/pwned`;
    const status = await upgradeRefusal(url, { authorization: `Bearer ${TOKEN}` }, tls);
    assert.equal(status, 401);
    // Plain HTTP gets no answer at all.
    const plain = `${node.endpoint.replace(/^https:/, "http:")}/pods/${pod.id}/log`;
    await assert.rejects(fetch(plain, { headers: { authorization: `Bearer ${TOKEN}` } }));

    const server = tokenApi.url;
    const logs = await cli(["logs", pod.name], { server });
    assert.equal(logs.code, 1);
    assert.match(logs.stderr, /^error: unauthorized: the API server requires a token/);
    const exec = await cli(["exec", pod.name, "--", "touch", "/tmp/pwned"], { server });
    assert.equal(exec.code, 1);
    assert.match(exec.stderr, /^error: unauthorized/);
    const wrong = await cli(
      ["--token", "guessed-token-0123456789", "exec", pod.name, "--", "touch", "/tmp/pwned"],
      {
        server,
      },
    );
    assert.match(wrong.stderr, /^error: unauthorized: the API server rejected the token/);
    // A web page's upgrade (a foreign Origin) to the API without a token: a cross-site hijack, refused.
    const fromPage = await upgradeRefusal(
      `${lab.apiUrl}/pods/${pod.name}/exec?command=touch&command=/tmp/pwned`,
      {
        origin: "http://evil.example",
      },
    );
    assert.equal(fromPage, 403);
    assert.equal((await inPod(pod, ["test", "-e", "/tmp/pwned"])).exitCode, 1, "nothing ran");
    // With the token, the second API server reaches the pod too (its own credential, registered in the store).
    assert.equal(
      await cliOk(["--token", TOKEN, "--server", server, "logs", pod.name, "--tail", "1"]),
      "ready\n",
    );
  });

  test("top pods and top nodes: CPU and memory now", { timeout: STEP_TIMEOUT_MS }, async () => {
    const current = await runningPods();
    const podLines = (await cliOk(["top", "pods"])).trimEnd().split("\n");
    assert.match(podLines[0] ?? "", /^NAME\s+NODE\s+CPU\(cores\)\s+MEMORY\(bytes\)/);
    assert.deepEqual(
      podLines.slice(1).map((line) => line.split(/\s+/)[0]),
      current.map((pod) => pod.name),
    );
    for (const line of podLines.slice(1)) assert.match(line, /^talk-\S+\s+h\d\s+\d+m\s+\d+Mi$/);
    const nodeLines = (await cliOk(["top", "nodes"])).trimEnd().split("\n");
    assert.match(nodeLines[0] ?? "", /^NAME\s+PODS\s+CPU\(cores\)\s+CPU%\s+MEMORY\(bytes\)\s+MEMORY%/);
    const pods = nodeLines.slice(1).map((line) => {
      assert.match(line, /^h\d\s+\d+\s+\d+m\s+\d+%\s+\d+Mi\s+\d+%$/);
      return Number(line.split(/\s+/)[1]);
    });
    assert.equal(
      pods.reduce((a, b) => a + b, 0),
      2,
    );
  });
});

// Runs the Store contract against the embedded store, plus what only the embedded store promises: data kept
// across reopen, ephemeral keys of a killed process removed, one process per directory, durability under kill -9.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterEach, beforeEach, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { UnavailableError } from "../../core/errors.js";
import { storeContract } from "../testing/contract.js";
import { eventually } from "../testing/contract-support.js";
import { EmbeddedBackend } from "./embedded-backend.js";

const CHILD = fileURLToPath(new URL("./testing/embedded-store-child.js", import.meta.url));

storeContract("embedded", async () => {
  const dir = mkdtempSync(join(tmpdir(), "orchestra-contract-"));
  const backend = EmbeddedBackend.open(dir);
  return {
    connect: async () => backend.connect(),
    expireSession: async (store) => backend.expireSession(store),
    teardown: async () => {
      backend.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe("embedded store on disk", () => {
  let dir: string;
  let backends: EmbeddedBackend[] = [];
  let children: ChildProcess[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "orchestra-embedded-"));
  });
  afterEach(async () => {
    for (const child of children) await killHard(child);
    for (const backend of backends) backend.close();
    children = [];
    backends = [];
    rmSync(dir, { recursive: true, force: true });
  });

  function open(): EmbeddedBackend {
    const backend = EmbeddedBackend.open(dir);
    backends.push(backend);
    return backend;
  }

  /** Starts the child fixture; `lines` fills with what it prints, `closed` resolves when its output ends. */
  function startChild(...args: string[]) {
    const child = spawn(process.execPath, [CHILD, ...args], {
      stdio: ["pipe", "pipe", "inherit"],
      env: { ...process.env, ORCHESTRA_LOG_LEVEL: "silent" },
    });
    children.push(child);
    const lines: string[] = [];
    const reader = createInterface({ input: child.stdout as NonNullable<typeof child.stdout> });
    reader.on("line", (line) => lines.push(line));
    const closed = once(reader, "close");
    return { child, lines, closed };
  }

  test("reopening a directory keeps keys, values and versions, and never reuses a sequence number", async () => {
    const first = open();
    const store = first.connect();
    await store.create("/deployments/web", { replicas: 1 });
    await store.set("/deployments/web", { replicas: 2 });
    await store.set("/deployments/web", { replicas: 3 }, 1);
    await store.create("/pods/p1", { phase: "Running" });
    const before = first.createSequential("/seq/n-", "x", store.session, false).key;
    first.close();

    const again = open().connect();
    assert.deepEqual(await again.get("/deployments/web"), {
      key: "/deployments/web",
      value: { replicas: 3 },
      version: 2,
    });
    assert.deepEqual(await again.list("/pods"), [
      { key: "/pods/p1", value: { phase: "Running" }, version: 0 },
    ]);
    const after = (backends[1] as EmbeddedBackend).createSequential("/seq/n-", "y", again.session, false).key;
    assert.ok(after > before, `${after} should sort after ${before}`);
  });

  test("ephemeral keys and candidacies of a killed process are gone when the directory is opened again", async () => {
    const holder = startChild("hold", dir);
    await eventually(() => assert.ok(holder.lines.includes("ready")), 10_000);
    await killHard(holder.child);

    const store = open().connect();
    assert.equal(await store.get("/held/ephemeral"), undefined);
    assert.equal((await store.get<{ pid: number }>("/held/persistent"))?.value.pid, holder.child.pid);
    assert.equal(await store.leader("held"), undefined);
    await store.create("/held/ephemeral", "mine now", { ephemeral: true });
  });

  test("a directory in use by another process cannot be opened until that process is gone", async () => {
    const holder = startChild("hold", dir);
    await eventually(() => assert.ok(holder.lines.includes("ready")), 10_000);
    assert.throws(
      () => open(),
      (error) => error instanceof UnavailableError && /in use by another process/.test(error.message),
    );
    await killHard(holder.child);
    assert.equal(await open().connect().get("/held/ephemeral"), undefined);
  });

  test("a directory cannot be opened twice in one process", async () => {
    const backend = open();
    assert.throws(
      () => EmbeddedBackend.open(dir),
      (error) => error instanceof UnavailableError && /already open/.test(error.message),
    );
    backend.close();
    assert.equal(await open().connect().get("/x"), undefined);
  });

  test("stop() drops events committed before it but not yet delivered", async () => {
    const store = open().connect();
    const seen: string[] = [];
    const stopped = await store.watch("/queued", (event) => seen.push(event.key));
    const witnessed: string[] = [];
    const witness = await store.watch("/queued", (event) => witnessed.push(event.key));
    await store.create("/queued/a", 1);
    stopped.stop(); // delivery is deferred, so the event for /queued/a is still queued here
    await eventually(() => assert.deepEqual(witnessed, ["/queued/a"]));
    assert.deepEqual(seen, []);
    witness.stop();
  });

  test("every write acknowledged before kill -9 is there after reopening", async () => {
    const writer = startChild("burst", dir, "1000000");
    await eventually(
      () => assert.ok(writer.lines.length >= 300, `${writer.lines.length} writes so far`),
      30_000,
    );
    await killHard(writer.child);
    await writer.closed;
    const acknowledged = writer.lines.filter((line) => line.startsWith("/burst/"));
    assert.ok(
      acknowledged.length >= 300 && !writer.lines.includes("done"),
      "killed in the middle of the burst",
    );

    const store = open().connect();
    const stored = new Map(
      (await store.list<{ i: number }>("/burst")).map((entry) => [entry.key, entry.value.i]),
    );
    const lost = acknowledged.filter((key) => stored.get(key) !== Number(key.slice("/burst/k".length)));
    assert.deepEqual(lost, [], `${lost.length} of ${acknowledged.length} acknowledged writes lost`);
  });
});

/** SIGKILL, then wait until the process is really gone (its file locks released). */
async function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGKILL");
  await exited;
}

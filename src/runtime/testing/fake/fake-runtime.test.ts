// The fake runtime: the shared contract, then what simulations rely on (scripting, clock, shared engines).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ManualClock } from "../../../core/clock.js";
import { ContainerStartError, ExecTimeoutError, ImageNotFoundError } from "../../errors.js";
import type { ContainerSpec, RuntimeEvent } from "../../runtime.js";
import { CONTRACT_COMMANDS, runtimeContract } from "../contract.js";
import type { FakeSessionScript } from "./fake-exec-session.js";
import { FakeRuntime } from "./fake-runtime.js";

const IMAGE = "orchestra/test-busybox:latest";

runtimeContract("fake", async () => {
  const runtime = new FakeRuntime({ images: [IMAGE] });
  // Make the contract's commands behave as busybox would.
  runtime.script({ command: [...CONTRACT_COMMANDS.exit3] }, { exitAfterMs: 5, exitCode: 3 });
  runtime.script({ image: IMAGE }, { exec: () => ({ exitCode: 4, output: "hello\noops\n" }) });
  runtime.script(
    { command: [...CONTRACT_COMMANDS.output] },
    {
      output: [
        { afterMs: 0, text: "one\n" },
        { afterMs: 100, text: "two\n", stream: "stderr" },
        { afterMs: 200, text: "three\n" },
        { afterMs: 1200, text: "four\n" },
      ],
    },
  );
  runtime.script({ image: IMAGE }, { session: contractSession, usage: { cpu: 5, memory: 2 ** 20 } });
  return { runtime, image: IMAGE };
});

/** The contract's interactive commands, as busybox runs them. */
function contractSession(argv: string[]): FakeSessionScript | undefined {
  const is = (command: readonly string[]) => argv.join(" ") === command.join(" ");
  if (is(CONTRACT_COMMANDS.cat)) {
    return { onInput: (text, io) => io.out(text), onEndOfInput: (io) => io.exit(0) };
  }
  if (is(CONTRACT_COMMANDS.fail7)) {
    return {
      onEndOfInput: (io) => {
        io.out("out\n");
        io.out("err\n", "stderr");
        io.exit(7);
      },
    };
  }
  if (is(CONTRACT_COMMANDS.terminal)) {
    return {
      onInput: (text, io) => {
        const line = text.replace(/\n$/, "");
        io.out(`${line}\r\n${io.size?.rows} ${io.size?.cols}\r\ngot ${line}\r\n`);
        io.exit(0);
      },
    };
  }
  return undefined;
}

function spec(name: string, overrides: Partial<ContainerSpec> = {}): ContainerSpec {
  return { name, image: IMAGE, labels: { app: "sim" }, network: "pods", ...overrides };
}

/** Lets queued event deliveries (microtasks) run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("FakeRuntime", () => {
  test("hands out the lowest free address of the subnet, and takes it back when a container stops", async () => {
    const runtime = new FakeRuntime({ images: [IMAGE] });
    await runtime.ensureNetwork({ name: "pods", subnet: "10.50.3.0/24" });
    const a = await runtime.start(spec("a"));
    const b = await runtime.start(spec("b"));
    assert.deepEqual([a.ip, b.ip], ["10.50.3.2", "10.50.3.3"]);
    await runtime.stop(a.id);
    const c = await runtime.start(spec("c"));
    assert.equal(c.ip, "10.50.3.2");
  });

  test("scripted start latency, exit and start failure follow the runtime's clock", async () => {
    const clock = new ManualClock(1_000_000);
    const runtime = new FakeRuntime({ clock, images: [IMAGE] });
    await runtime.ensureNetwork({ name: "pods" });
    runtime.script({ name: /^slow-/ }, { startLatencyMs: 500, exitAfterMs: 2000, exitCode: 7 });
    runtime.script({ name: "broken" }, { startError: 'exec: "nope": executable file not found' });
    const events: RuntimeEvent[] = [];
    runtime.events((event) => events.push(event), { labels: { app: "sim" } });

    let started = false;
    const starting = runtime.start(spec("slow-1")).then((info) => {
      started = true;
      return info;
    });
    await settle();
    clock.advance(499);
    await settle();
    assert.equal(started, false);
    clock.advance(1);
    const info = await starting;
    assert.equal(info.startedAt, new Date(1_000_500).toISOString());

    clock.advance(1999);
    await settle();
    assert.equal((await runtime.inspect(info.id))?.running, true);
    clock.advance(1);
    await settle();
    const exited = await runtime.inspect(info.id);
    assert.equal(exited?.exitCode, 7);
    assert.deepEqual(
      events.map((e) => [e.type, e.exitCode, e.time]),
      [
        ["start", undefined, 1_000_500],
        ["die", 7, 1_002_500],
      ],
    );

    await assert.rejects(runtime.start(spec("broken")), ContainerStartError);
    assert.equal(await runtime.inspect("broken"), undefined);
  });

  test("a once-rule applies to the next matching start only", async () => {
    const runtime = new FakeRuntime({ images: [IMAGE] });
    await runtime.ensureNetwork({ name: "pods" });
    runtime.script({ image: IMAGE, once: true }, { startError: "flaky" });
    await assert.rejects(runtime.start(spec("first")), /flaky/);
    assert.equal((await runtime.start(spec("first"))).running, true);
  });

  test("crash reports oom and die as Docker does; a pull finds only what the registry holds", async () => {
    const runtime = new FakeRuntime({ images: [IMAGE], registry: ["nginx:alpine"] });
    await runtime.ensureNetwork({ name: "pods" });
    const events: RuntimeEvent[] = [];
    runtime.events((event) => events.push(event));
    const info = await runtime.start(spec("victim"));
    runtime.crash(info.id, { oom: true });
    await settle();
    assert.deepEqual(
      events.map((e) => e.type),
      ["start", "oom", "die"],
    );
    const dead = await runtime.inspect(info.id);
    assert.equal(dead?.exitCode, 137);
    assert.equal(dead?.oomKilled, true);

    await runtime.ensureImage("nginx:alpine");
    const pulled = await runtime.start(spec("web", { image: "nginx:alpine" }));
    assert.equal(pulled.running, true);
    await assert.rejects(runtime.ensureImage("nginx"), ImageNotFoundError);
  });

  test("exec slower than its timeout fails with ExecTimeoutError", async () => {
    const runtime = new FakeRuntime({ images: [IMAGE] });
    await runtime.ensureNetwork({ name: "pods" });
    runtime.script({ name: "stuck" }, { execLatencyMs: 50 });
    const info = await runtime.start(spec("stuck"));
    await assert.rejects(runtime.exec(info.id, ["true"], { timeoutMs: 10 }), ExecTimeoutError);
    assert.deepEqual(await runtime.exec(info.id, ["true"], { timeoutMs: 1000 }), { exitCode: 0, output: "" });
  });

  test("engines are independent; shared clients see one engine and close only their own streams", async () => {
    const nodeA = new FakeRuntime({ images: [IMAGE] });
    const nodeB = new FakeRuntime({ images: [IMAGE] });
    await nodeA.ensureNetwork({ name: "pods" });
    await nodeB.ensureNetwork({ name: "pods" });
    const onA = await nodeA.start(spec("same-name"));
    const onB = await nodeB.start(spec("same-name"));
    assert.notEqual(onA.id, onB.id);
    assert.equal(onA.ip, onB.ip, "each engine numbers its own network");
    assert.equal((await nodeB.list({ labels: {} })).length, 1);

    const workerTwo = nodeA.shared();
    const seenByOne: RuntimeEvent[] = [];
    const seenByTwo: RuntimeEvent[] = [];
    nodeA.events((e) => seenByOne.push(e));
    workerTwo.events((e) => seenByTwo.push(e));
    assert.equal((await workerTwo.inspect("same-name"))?.id, onA.id);
    await workerTwo.close();
    await nodeA.remove(onA.id);
    await settle();
    assert.deepEqual(
      seenByOne.map((e) => e.type),
      ["die", "destroy"],
    );
    assert.deepEqual(seenByTwo, []);
  });

  test("hundreds of nodes with a thousand containers start quickly", async () => {
    const began = performance.now();
    const nodes = Array.from({ length: 200 }, () => new FakeRuntime({ images: [IMAGE] }));
    for (const node of nodes) {
      await node.ensureNetwork({ name: "pods", subnet: "10.60.0.0/24" });
      for (let i = 0; i < 5; i++) await node.start(spec(`pod-${i}`));
    }
    const running = await Promise.all(nodes.map((node) => node.list({ labels: { app: "sim" } })));
    assert.equal(running.flat().filter((c) => c.running).length, 1000);
    assert.ok(performance.now() - began < 2000, "an in-memory start is cheap");
  });
});

// The ContainerRuntime contract suite: every implementation runs these same tests (Docker against the real
// engine). Each test works under its own label and network and removes them afterwards, even on failure.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { ConflictError, NotFoundError } from "../../core/errors.js";
import { ContainerExistsError, ImageNotFoundError } from "../errors.js";
import { subnetAddress, subnetContains } from "../ipv4.js";
import { LABEL_MANAGED } from "../labels.js";
import type { ContainerInfo, ContainerRuntime, ContainerSpec, RuntimeEvent } from "../runtime.js";
import { ioContract } from "./contract-io.js";

export interface RuntimeHarness {
  runtime: ContainerRuntime;
  /** A local image with busybox's `sh` and `sleep`. */
  image: string;
  /** Removes whatever the harness itself made (the runtime is closed by the suite). */
  teardown?(): Promise<void>;
}

/** The commands the suite runs; a scripted runtime (the fake) makes them behave as busybox would. */
export const CONTRACT_COMMANDS = {
  /** Runs until stopped. */
  sleep: ["sleep", "3600"],
  /** Exits at once with code 3. */
  exit3: ["sh", "-c", "exit 3"],
  /** Writes `hello` to stdout and `oops` to stderr, then exits with code 4. */
  exec: ["sh", "-c", "echo hello; echo oops >&2; exit 4"],
  /**
   * Writes `one`, `two` (stderr) and `three` 0.1 s apart (the engine copies stdout and stderr separately, so
   * lines written at the same instant may be recorded in either order), `four` a second later, then runs on.
   */
  output: [
    "sh",
    "-c",
    "echo one; sleep 0.1; echo two >&2; sleep 0.1; echo three; sleep 1; echo four; exec sleep 3600",
  ],
  /** Copies its input to its output until end of input. */
  cat: ["cat"],
  /** Writes `out` to stdout and `err` to stderr, then exits with code 7. */
  fail7: ["sh", "-c", "echo out; echo err >&2; exit 7"],
  /** With a terminal: reads a line, prints the terminal's size (`rows cols`) and `got <line>`. */
  terminal: ["sh", "-c", "read line; stty size; echo got $line"],
} as const;

export interface Scope {
  labels: Record<string, string>;
  network: string;
  subnet: string;
  spec(suffix: string, overrides?: Partial<ContainerSpec>): ContainerSpec;
}

/** What the suite's parts in other files get: the runtime under test and a scoped test body. */
export interface ContractContext {
  runtime(): ContainerRuntime;
  scoped(body: (scope: Scope) => Promise<void>): Promise<void>;
}

/** A label that marks one test's containers. */
export const TEST_RUN_LABEL = "orchestra.test-run";

const WAIT_MS = 15_000;

/** Registers the contract tests (node:test) for one implementation. */
export function runtimeContract(name: string, makeHarness: () => Promise<RuntimeHarness>): void {
  describe(`ContainerRuntime contract: ${name}`, () => {
    let harness: RuntimeHarness;
    let runtime: ContainerRuntime;

    before(async () => {
      harness = await makeHarness();
      runtime = harness.runtime;
    });
    after(async () => {
      await runtime?.close();
      await harness?.teardown?.();
    });

    /** Runs `body` with a fresh label and network, and removes every container and the network after. */
    async function scoped(body: (scope: Scope) => Promise<void>): Promise<void> {
      const run = randomBytes(4).toString("hex");
      const labels = { [LABEL_MANAGED]: "true", [TEST_RUN_LABEL]: run };
      const network = `orchestra-test-${run}`;
      // A random /24 in 10.200.0.0/13 keeps parallel runs and other networks out of each other's way.
      const subnet = `10.${200 + ((randomBytes(1)[0] ?? 0) % 8)}.${randomBytes(1)[0] ?? 0}.0/24`;
      const scope: Scope = {
        labels,
        network,
        subnet,
        spec: (suffix, overrides = {}) => ({
          name: `orchestra-test-${run}-${suffix}`,
          image: harness.image,
          command: [...CONTRACT_COMMANDS.sleep],
          labels: { ...labels },
          network,
          ...overrides,
        }),
      };
      try {
        await body(scope);
      } finally {
        // Everything of this run, whatever labels a test added: the run id is in every name.
        const leftovers = await runtime.list({ labels: { [LABEL_MANAGED]: "true" } });
        for (const container of leftovers) {
          if (container.name.startsWith(`orchestra-test-${run}-`)) await runtime.remove(container.id);
        }
        await runtime.removeNetwork(network);
      }
    }

    test("ensureNetwork creates the network once and keeps it as it is", () =>
      scoped(async ({ network, subnet }) => {
        const created = await runtime.ensureNetwork({ name: network, subnet });
        assert.deepEqual(created, { name: network, subnet, gateway: subnetAddress(subnet, 1) });
        const again = await runtime.ensureNetwork({ name: network, subnet });
        assert.deepEqual(again, created);
        // Present already: a different wish changes nothing.
        const other = await runtime.ensureNetwork({ name: network, subnet: "10.199.99.0/24" });
        assert.deepEqual(other, created);
        assert.deepEqual(await runtime.ensureNetwork({ name: network }), created);
      }));

    test("start runs a container with an IP in the network's subnet", () =>
      scoped(async (scope) => {
        await runtime.ensureNetwork({ name: scope.network, subnet: scope.subnet });
        const spec = scope.spec("web", { labels: { ...scope.labels, role: "web" }, env: { GREETING: "hi" } });
        const started = await runtime.start(spec);
        assert.equal(started.name, spec.name);
        assert.equal(started.image, harness.image);
        assert.equal(started.state, "running");
        assert.equal(started.running, true);
        assert.equal(started.exitCode, undefined);
        assert.equal(started.labels.role, "web");
        assert.ok(started.ip && subnetContains(scope.subnet, started.ip), `${started.ip} in ${scope.subnet}`);
        assert.ok(started.startedAt && !Number.isNaN(Date.parse(started.startedAt)));

        const byId = await runtime.inspect(started.id);
        const byName = await runtime.inspect(spec.name);
        assert.equal(byId?.id, started.id);
        assert.equal(byName?.id, started.id);
        assert.equal(byId?.ip, started.ip);
        assert.equal(await runtime.inspect(`${spec.name}-missing`), undefined);
      }));

    test("list sees only containers carrying every given label, stopped ones included", () =>
      scoped(async (scope) => {
        await runtime.ensureNetwork({ name: scope.network, subnet: scope.subnet });
        const a = await runtime.start(scope.spec("a", { labels: { ...scope.labels, role: "a" } }));
        const b = await runtime.start(scope.spec("b", { labels: { ...scope.labels, role: "b" } }));
        await runtime.stop(b.id, { timeoutSeconds: 0 });

        const all = await runtime.list({ labels: scope.labels });
        assert.deepEqual(ids(all), [a.id, b.id].sort());
        const onlyA = await runtime.list({ labels: { ...scope.labels, role: "a" } });
        assert.deepEqual(ids(onlyA), [a.id]);
        const stopped = all.find((c) => c.id === b.id);
        assert.equal(stopped?.running, false);
        assert.equal(stopped?.state, "exited");
        assert.deepEqual(await runtime.list({ labels: { ...scope.labels, role: "none" } }), []);
      }));

    test("a container that exits is reported by a die event with its code, and inspect shows it exited", () =>
      scoped(async (scope) => {
        await runtime.ensureNetwork({ name: scope.network, subnet: scope.subnet });
        const seen: RuntimeEvent[] = [];
        const subscription = runtime.events((event) => seen.push(event), { labels: scope.labels });
        try {
          await subscription.ready;
          // Another run's container: its events must not reach this subscription.
          const foreign = await runtime.start(
            scope.spec("foreign", {
              labels: { [LABEL_MANAGED]: "true", "orchestra.test-run": "someone-else" },
            }),
          );
          const exiting = await runtime.start(scope.spec("exit3", { command: [...CONTRACT_COMMANDS.exit3] }));
          const die = await waitFor(() => seen.find((e) => e.id === exiting.id && e.type === "die"));
          assert.equal(die.exitCode, 3);
          assert.equal(die.labels[TEST_RUN_LABEL], scope.labels[TEST_RUN_LABEL]);
          assert.ok(seen.some((e) => e.id === exiting.id && e.type === "start"));

          const info = await runtime.inspect(exiting.id);
          assert.equal(info?.state, "exited");
          assert.equal(info?.running, false);
          assert.equal(info?.exitCode, 3);
          assert.ok(info?.finishedAt);

          // Removed in this order, the foreign container's events (if leaked) arrive before this destroy.
          await runtime.remove(foreign.id);
          await runtime.remove(exiting.id);
          await waitFor(() => seen.find((e) => e.id === exiting.id && e.type === "destroy"));
          assert.deepEqual(
            seen.filter((e) => e.id === foreign.id),
            [],
          );
        } finally {
          subscription.stop();
        }
      }));

    test("stop and remove are idempotent", () =>
      scoped(async (scope) => {
        await runtime.ensureNetwork({ name: scope.network, subnet: scope.subnet });
        const started = await runtime.start(scope.spec("idem"));
        await runtime.stop(started.id, { timeoutSeconds: 1 });
        const stopped = await runtime.inspect(started.id);
        assert.equal(stopped?.running, false);
        assert.equal(stopped?.state, "exited");
        assert.equal(stopped?.ip, undefined);
        await runtime.stop(started.id, { timeoutSeconds: 1 });
        await runtime.remove(started.id);
        assert.equal(await runtime.inspect(started.id), undefined);
        await runtime.remove(started.id);
        await runtime.stop(started.id);
        await runtime.stop("orchestra-test-never-existed");
        await runtime.remove("orchestra-test-never-existed");
      }));

    test("remove kills a running container", () =>
      scoped(async (scope) => {
        await runtime.ensureNetwork({ name: scope.network, subnet: scope.subnet });
        const started = await runtime.start(scope.spec("kill"));
        await runtime.remove(started.id);
        assert.equal(await runtime.inspect(started.id), undefined);
        assert.deepEqual(await runtime.list({ labels: scope.labels }), []);
      }));

    test("start replaces a stopped container of the same name and refuses a running one", () =>
      scoped(async (scope) => {
        await runtime.ensureNetwork({ name: scope.network, subnet: scope.subnet });
        const first = await runtime.start(scope.spec("same", { command: [...CONTRACT_COMMANDS.exit3] }));
        await waitFor(async () => ((await runtime.inspect(first.id))?.running === false ? true : undefined));
        const second = await runtime.start(scope.spec("same"));
        assert.notEqual(second.id, first.id);
        assert.equal(second.running, true);
        assert.equal(await runtime.inspect(first.id), undefined);
        await assert.rejects(runtime.start(scope.spec("same")), (err) => {
          assert.ok(err instanceof ContainerExistsError && err instanceof ConflictError, String(err));
          return true;
        });
        assert.equal((await runtime.inspect(second.id))?.running, true);
      }));

    test("a missing image gives a clear error", () =>
      scoped(async (scope) => {
        await runtime.ensureImage(harness.image);
        const missing = `orchestra/no-such-image-${scope.labels[TEST_RUN_LABEL]}:never`;
        const clear = (err: unknown) => {
          assert.ok(err instanceof ImageNotFoundError, String(err));
          assert.equal(err.image, missing);
          assert.match(
            err.message,
            /^image "orchestra\/no-such-image-[0-9a-f]+:never" not found locally and could not be pulled: ./,
          );
          return true;
        };
        await assert.rejects(runtime.ensureImage(missing), clear);
        await runtime.ensureNetwork({ name: scope.network, subnet: scope.subnet });
        await assert.rejects(runtime.start(scope.spec("noimage", { image: missing })), clear);
        assert.deepEqual(await runtime.list({ labels: scope.labels }), []);
      }));

    test("exec returns the command's output and exit code", () =>
      scoped(async (scope) => {
        await runtime.ensureNetwork({ name: scope.network, subnet: scope.subnet });
        const started = await runtime.start(scope.spec("exec"));
        const result = await runtime.exec(started.id, [...CONTRACT_COMMANDS.exec], { timeoutMs: 10_000 });
        assert.equal(result.exitCode, 4);
        assert.match(result.output, /hello/);
        assert.match(result.output, /oops/);
        await assert.rejects(runtime.exec("orchestra-test-never-existed", ["true"]), NotFoundError);
        await runtime.stop(started.id, { timeoutSeconds: 0 });
        await assert.rejects(runtime.exec(started.id, ["true"]), ConflictError);
      }));

    ioContract({ runtime: () => runtime, scoped });

    test("info describes the engine's machine", async () => {
      const info = await runtime.info();
      assert.ok(info.cpus > 0);
      assert.ok(info.memoryBytes > 0);
      assert.ok(info.engine.length > 0);
      assert.ok(info.hostname.length > 0);
    });
  });
}

function ids(containers: ContainerInfo[]): string[] {
  return containers.map((c) => c.id).sort();
}

/** Polls until `probe` yields a value; fails after WAIT_MS. */
export async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${WAIT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

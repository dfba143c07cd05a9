// The ContainerRuntime contract, part two: what reaches into a running container: its logs, an interactive
// command (stdin, stdout and stderr apart, a terminal and its size, the exit code) and its resource use.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ConflictError, NotFoundError } from "../../core/errors.js";
import type { LogOptions, OutputChunk } from "../runtime.js";
import { CONTRACT_COMMANDS, type ContractContext, waitFor } from "./contract.js";

/** `stream:line` for each line of the chunks, in order (the engine delivers whole lines). */
function lines(chunks: OutputChunk[]): string[] {
  return chunks.flatMap((chunk) =>
    chunk.data
      .toString("utf8")
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => `${chunk.stream}:${line}`),
  );
}

/** `text` with every line's timestamp (RFC 3339, as the engine writes it) checked and cut off. */
function withoutTimestamps(all: string[]): { lines: string[]; times: number[] } {
  const stamp = /^(stdout|stderr):(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z) (.*)$/;
  const parsed = all.map((line) => {
    const match = stamp.exec(line);
    assert.ok(match, `no timestamp on ${JSON.stringify(line)}`);
    return { line: `${match[1]}:${match[3]}`, time: Date.parse(match[2] as string) };
  });
  return { lines: parsed.map((p) => p.line), times: parsed.map((p) => p.time) };
}

export function ioContract({ runtime, scoped }: ContractContext): void {
  const read = async (id: string, options: LogOptions = {}) => {
    const chunks: OutputChunk[] = [];
    for await (const chunk of await runtime().logs(id, options)) chunks.push(chunk);
    return lines(chunks);
  };

  test("logs: stdout and stderr apart in the order written; tail, since and timestamps", () =>
    scoped(async (scope) => {
      await runtime().ensureNetwork({ name: scope.network, subnet: scope.subnet });
      const started = await runtime().start(scope.spec("logs", { command: [...CONTRACT_COMMANDS.output] }));
      const all = ["stdout:one", "stderr:two", "stdout:three", "stdout:four"];
      await waitFor(async () => ((await read(started.id)).length === 4 ? true : undefined));
      assert.deepEqual(await read(started.id), all);
      assert.deepEqual(await read(started.id, { tail: 2 }), all.slice(2));
      assert.deepEqual(await read(started.id, { tail: 0 }), []);

      const stamped = withoutTimestamps(await read(started.id, { timestamps: true }));
      assert.deepEqual(stamped.lines, all);
      const fourAt = stamped.times[3] as number;
      assert.ok(fourAt - (stamped.times[2] as number) >= 500, `four came after the pause: ${stamped.times}`);
      assert.deepEqual(await read(started.id, { sinceMs: fourAt }), ["stdout:four"]);
      assert.deepEqual(await read(started.id, { sinceMs: fourAt + 1 }), []);
      await assert.rejects(runtime().logs("orchestra-test-never-existed"), NotFoundError);
    }));

  test("logs with follow: what is written later arrives as it is written; the stream ends when the container stops", () =>
    scoped(async (scope) => {
      await runtime().ensureNetwork({ name: scope.network, subnet: scope.subnet });
      const started = await runtime().start(scope.spec("follow", { command: [...CONTRACT_COMMANDS.output] }));
      const seen: OutputChunk[] = [];
      let fourAt = 0;
      const following = (async () => {
        for await (const chunk of await runtime().logs(started.id, { follow: true })) {
          seen.push(chunk);
          if (chunk.data.toString().includes("four")) fourAt = Date.now();
        }
      })();
      await waitFor(() => (fourAt > 0 ? true : undefined));
      assert.deepEqual(lines(seen), ["stdout:one", "stderr:two", "stdout:three", "stdout:four"]);
      await runtime().stop(started.id, { timeoutSeconds: 0 });
      await following;

      // A stopped container's logs are still there, followed or not; the stream ends at once.
      assert.equal((await read(started.id, { follow: true })).length, 4);
    }));

  test("openExec: input reaches the command, stdout and stderr come apart, the exit code is the command's", () =>
    scoped(async (scope) => {
      await runtime().ensureNetwork({ name: scope.network, subnet: scope.subnet });
      const started = await runtime().start(scope.spec("session"));
      const output: OutputChunk[] = [];
      const cat = await runtime().openExec(started.id, [...CONTRACT_COMMANDS.cat], {
        stdin: true,
        onOutput: (chunk) => output.push(chunk),
      });
      cat.write(Buffer.from("hi\n"));
      cat.write(Buffer.from("there\n"));
      cat.endInput();
      assert.equal(await cat.exitCode, 0);
      assert.deepEqual(lines(output), ["stdout:hi", "stdout:there"]);

      output.length = 0;
      const failing = await runtime().openExec(started.id, [...CONTRACT_COMMANDS.fail7], {
        onOutput: (chunk) => output.push(chunk),
      });
      assert.equal(await failing.exitCode, 7);
      assert.deepEqual(lines(output).sort(), ["stderr:err", "stdout:out"]);

      const ignore = { onOutput: () => {} };
      await assert.rejects(
        runtime().openExec("orchestra-test-never-existed", ["true"], ignore),
        NotFoundError,
      );
      await runtime().stop(started.id, { timeoutSeconds: 0 });
      await assert.rejects(runtime().openExec(started.id, ["true"], ignore), ConflictError);
    }));

  test("openExec with a terminal: the size and the typed line reach the command; its output is all stdout", () =>
    scoped(async (scope) => {
      await runtime().ensureNetwork({ name: scope.network, subnet: scope.subnet });
      const started = await runtime().start(scope.spec("tty"));
      const output: OutputChunk[] = [];
      const session = await runtime().openExec(started.id, [...CONTRACT_COMMANDS.terminal], {
        tty: true,
        stdin: true,
        size: { cols: 100, rows: 40 },
        onOutput: (chunk) => output.push(chunk),
      });
      await session.resize({ cols: 100, rows: 40 });
      session.write(Buffer.from("hello\n"));
      assert.equal(await session.exitCode, 0);
      const text = Buffer.concat(output.map((chunk) => chunk.data)).toString("utf8");
      assert.match(text, /40 100\r?\n/);
      assert.match(text, /got hello\r?\n/);
      assert.ok(
        output.every((chunk) => chunk.stream === "stdout"),
        "a terminal has one output stream",
      );
    }));

  test("stats: a running container's CPU time and memory; none for a missing or stopped one", () =>
    scoped(async (scope) => {
      await runtime().ensureNetwork({ name: scope.network, subnet: scope.subnet });
      const started = await runtime().start(scope.spec("stats"));
      const before = Date.now();
      const stats = await runtime().stats(started.id);
      assert.ok(stats.memoryBytes > 0, `memory ${stats.memoryBytes}`);
      assert.ok(stats.cpuSeconds >= 0, `cpu ${stats.cpuSeconds}`);
      assert.ok(Math.abs(stats.at - before) < 60_000, `sampled at ${new Date(stats.at).toISOString()}`);
      await assert.rejects(runtime().stats("orchestra-test-never-existed"), NotFoundError);
      await runtime().stop(started.id, { timeoutSeconds: 0 });
      await assert.rejects(runtime().stats(started.id), ConflictError);
    }));
}

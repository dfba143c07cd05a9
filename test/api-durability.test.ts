// Durability through the API (issue 2): a burst of PUT /deployments against `orchestra run api` on the
// embedded store, kill -9 of the server mid-burst, a restart on the same folder: every acknowledged write is there.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Deployment } from "../src/core/types.js";
import { ClusterRun } from "./support/cluster.js";
import { assertAcknowledgedWritesStored, writeBurstUntilKilled } from "./support/write-burst.js";

const WRITES = 1000;
const CONCURRENCY = 16;
/** The server is killed once this many writes were acknowledged: mid-burst, with requests in flight. */
const KILL_AFTER_ACKS = 350;

let run: ClusterRun;

describe("API durability on the embedded store", () => {
  before(() => {
    run = new ClusterRun("durability");
  });

  after(async () => {
    await run?.cleanup();
  });

  test("kill -9 mid-burst loses no acknowledged deployment", { timeout: 120_000 }, async (t) => {
    const store = `embedded:${join(run.dataDir, "store")}`;
    const serverArgs = ["run", "api", "--store", store, "--port", "0"];
    const first = await run.startProcess(serverArgs);

    // Each writer creates the next name and updates every third one (generation 2).
    const burst = await writeBurstUntilKilled({
      url: first.url,
      writes: WRITES,
      concurrency: CONCURRENCY,
      killAfterAcks: KILL_AFTER_ACKS,
      kill: () => void first.terminate("SIGKILL"),
    });
    const exit = await first.exited;
    t.diagnostic(
      `${burst.acks} writes acknowledged in ${burst.elapsedMs} ms; killed with ${burst.inFlightAtKill} in flight`,
    );
    assert.ok(burst.killed, "the burst ended before the server was killed");
    assert.deepEqual(exit, { code: null, signal: "SIGKILL" });
    assert.ok(burst.inFlightAtKill > 0, "no request was in flight when the server died");
    assert.ok(burst.sent < WRITES, "the kill came after the burst");

    const second = await run.startProcess(serverArgs);
    // One page of the most a page holds: the burst stored fewer than WRITES (the kill came first).
    const response = await fetch(`${second.url}/deployments?limit=${WRITES}`);
    assert.equal(response.status, 200);
    const stored = (await response.json()) as Deployment[];
    const acknowledged = assertAcknowledgedWritesStored(burst.known, stored);
    assert.ok(stored.length >= acknowledged, `${stored.length} stored, ${acknowledged} acknowledged`);
    t.diagnostic(`${acknowledged} acknowledged deployments, ${stored.length} stored after the restart`);

    assert.deepEqual(await second.terminate("SIGTERM"), { code: 0, signal: null });
  });

  test("leaves no process behind", async () => {
    await run.cleanup();
    assert.deepEqual((await run.leftovers()).processes, []);
  });
});

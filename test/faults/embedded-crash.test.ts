// Scenario 8: kill -9 of `orchestra up` (embedded store) during a burst of 1,000 API writes; after a restart on
// the same data folder every write that was answered 2xx is there.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Deployment } from "../../src/core/types.js";
import { ClusterRun, httpGet } from "../support/cluster.js";
import { assertAcknowledgedWritesStored, writeBurstUntilKilled } from "../support/write-burst.js";
import { reliability, seconds } from "./support-store-faults.js";

const WRITES = 1000;
const CONCURRENCY = 16;
/** Killed this far into the burst: most writes answered, several still in flight. */
const KILL_AFTER_ACKS = 700;

let run: ClusterRun;

describe("scenario 8: embedded store, kill -9 of orchestra up", () => {
  before(() => {
    run = new ClusterRun("fault-embedded");
  });

  after(async () => {
    await run?.cleanup();
  });

  test("every write answered 2xx during a burst of 1,000 is there after kill -9 and restart", {
    timeout: 150_000,
  }, async (t) => {
    const first = await run.up();
    // Replicas 0: the burst exercises the store, not Docker (the worker and controller still run alongside).
    const burst = await writeBurstUntilKilled({
      url: first.url,
      writes: WRITES,
      concurrency: CONCURRENCY,
      killAfterAcks: KILL_AFTER_ACKS,
      kill: () => void first.terminate("SIGKILL"),
    });
    assert.deepEqual(await first.exited, { code: null, signal: "SIGKILL" });
    assert.ok(burst.killed, "the burst ended before the server was killed");
    assert.ok(burst.inFlightAtKill > 0, "no request was in flight when orchestra up died");
    assert.ok(burst.sent < WRITES, "the kill came after the burst");
    t.diagnostic(
      `${burst.acks} of ${burst.sent} writes sent acknowledged in ${burst.elapsedMs} ms; ${burst.inFlightAtKill} in flight at the kill`,
    );

    const restartedAt = Date.now();
    const second = await run.up();
    const restartMs = Date.now() - restartedAt;
    // One page of the most a page holds: the burst stored fewer than WRITES (the kill came first).
    const listing = await httpGet(`${second.url}/deployments?limit=${WRITES}`, 10_000);
    assert.equal(listing.status, 200, listing.body);
    const stored = JSON.parse(listing.body) as Deployment[];
    const acknowledged = assertAcknowledgedWritesStored(burst.known, stored);
    assert.ok(acknowledged > 0);
    t.diagnostic(
      `${acknowledged} acknowledged deployments, ${stored.length} stored; API back in ${restartMs} ms`,
    );

    const command = "npm run build && node --test dist/test/faults/embedded-crash.test.js";
    reliability(
      "8-embedded-kill",
      "every 2xx write present after restart",
      `${acknowledged}/${acknowledged} acknowledged deployments present (${burst.acks} 2xx writes, ${burst.inFlightAtKill} in flight at kill -9)`,
      command,
    );
    reliability("8-embedded-restart", "API answers after restart", seconds(restartMs), command);
    assert.deepEqual(await second.terminate("SIGTERM"), { code: 0, signal: null });
  });

  test("leaves no process, container or network behind", async () => {
    await run.cleanup();
    assert.deepEqual(await run.leftovers(), { processes: [], containers: [], network: false });
  });
});

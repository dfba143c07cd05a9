// The ZooKeeper store on a real three-server ensemble: it keeps its session when the member it talks to
// dies, and it gives up within its timeout (then recovers) while the ensemble has no quorum.
import assert from "node:assert/strict";
import { test } from "node:test";
import { startZooKeeperEnsemble, type ZooKeeperMember } from "../../../test/support/zookeeper-server.js";
import { UnavailableError } from "../../core/errors.js";
import type { SessionState } from "../store.js";
import { eventually } from "../testing/contract-support.js";
import { openZooKeeperStore, type ZooKeeperStore } from "./zookeeper-store.js";

async function modeOf(member: ZooKeeperMember): Promise<string> {
  return /^Mode: (\w+)/m.exec(await member.fourLetterWord("srvr"))?.[1] ?? "unknown";
}

test("a store on an ensemble fails over between members and waits out a lost quorum", async () => {
  const ensemble = await startZooKeeperEnsemble(3);
  const stores: ZooKeeperStore[] = [];
  try {
    const modes = await Promise.all(ensemble.members.map(modeOf));
    const leader = ensemble.members[modes.indexOf("leader")];
    const followers = ensemble.members.filter((_, i) => modes[i] === "follower");
    assert.ok(leader && followers.length === 2, `modes: ${modes}`);

    // Only the followers, so that losing the member it talks to never costs a leader election.
    const store = await openZooKeeperStore({
      connectString: followers.map((m) => m.address).join(","),
      root: "/ensemble",
      sessionTimeoutMs: 4000,
      operationTimeoutMs: 1500,
    });
    stores.push(store);
    const observer = await openZooKeeperStore({ connectString: leader.address, root: "/ensemble" });
    stores.push(observer);
    const states: SessionState[] = [];
    store.onSession((state) => states.push(state));
    await store.create("/nodes/w1", "here", { ephemeral: true });

    const sessionId = store.sessionId;
    const serving: ZooKeeperMember[] = [];
    for (const member of followers) {
      if ((await member.fourLetterWord("cons")).includes(`sid=${sessionId}`)) serving.push(member);
    }
    assert.equal(serving.length, 1, "exactly one follower holds the connection");
    const [connected] = serving as [ZooKeeperMember];

    await connected.halt();
    await eventually(() => assert.deepEqual(states, ["disconnected", "connected"]), 15_000);
    assert.equal(store.sessionId, sessionId, "the session moved to the other follower");
    assert.equal((await observer.get("/nodes/w1"))?.value, "here");
    await store.set("/deployments/web", 1);
    await connected.restart();

    // Two of three down: no quorum, the members left refuse clients.
    const others = ensemble.members.filter((m) => m !== leader);
    await Promise.all(others.map((m) => m.halt()));
    await eventually(() => assert.notEqual(store.sessionState, "connected"), 15_000);
    const started = Date.now();
    await assert.rejects(store.get("/deployments/web"), UnavailableError);
    assert.ok(Date.now() - started < 4000, "a call without quorum gives up within its timeout");

    await Promise.all(others.map((m) => m.restart()));
    await eventually(async () => assert.equal((await store.get("/deployments/web"))?.value, 1), 30_000);
  } finally {
    await Promise.allSettled(stores.map((s) => s.close()));
    await ensemble.stop();
  }
});

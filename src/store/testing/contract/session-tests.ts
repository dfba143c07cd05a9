// Store contract, session part: ephemeral keys end with their session (close or expiry), the client recovers
// from an expiry by itself, exactly one candidate leads, leadership passes on, and a deposed leader is fenced.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { FencedError } from "../../../core/errors.js";
import type { CampaignHandlers, Lease, SessionState, Store, WatchEvent } from "../../store.js";
import type { ContractContext } from "../contract.js";
import { EVENT_WAIT_MS, eventually, SESSION_WAIT_MS, TEST_TIMEOUT_MS } from "../contract-support.js";

const it = (name: string, fn: () => Promise<void>) => test(name, { timeout: TEST_TIMEOUT_MS }, fn);

/** Records what the election tells one candidate. */
class CandidateLog implements CampaignHandlers {
  readonly leases: Lease[] = [];
  deposals = 0;
  constructor(readonly name: string) {}
  elected(lease: Lease): void {
    this.leases.push(lease);
  }
  deposed(): void {
    this.deposals++;
  }
  get elections(): number {
    return this.leases.length;
  }
}

function recordSession(store: Store): SessionState[] {
  const states: SessionState[] = [];
  store.onSession((state) => states.push(state));
  return states;
}

export function sessionTests(ctx: ContractContext): void {
  describe("ephemeral keys", () => {
    it("are visible to other clients and vanish when the owner closes; persistent keys stay", async () => {
      const [owner, other] = [await ctx.connect(), await ctx.connect()];
      const dir = `${ctx.ns}/nodes`;
      const states = recordSession(owner);
      await owner.create(`${dir}/node-1`, { address: "10.0.0.1" }, { ephemeral: true });
      await owner.transaction([{ op: "create", key: `${dir}/node-2`, value: "tx", ephemeral: true }]);
      await owner.create(`${dir}/kept`, "persistent");
      assert.deepEqual(await other.get(`${dir}/node-1`), {
        key: `${dir}/node-1`,
        value: { address: "10.0.0.1" },
        version: 0,
      });
      const events: WatchEvent[] = [];
      const watch = await other.watch(dir, (event) => events.push(event));
      assert.deepEqual(
        watch.initial.map((entry) => entry.key),
        [`${dir}/kept`, `${dir}/node-1`, `${dir}/node-2`],
      );

      await owner.close();
      assert.equal(owner.sessionState, "closed");
      assert.equal(states.at(-1), "closed");
      await eventually(async () => {
        assert.deepEqual(
          (await other.list(dir)).map((entry) => entry.key),
          [`${dir}/kept`],
        );
        assert.deepEqual(
          events
            .filter((event) => event.type === "delete")
            .map((event) => event.key)
            .sort(),
          [`${dir}/node-1`, `${dir}/node-2`],
        );
      }, SESSION_WAIT_MS);
      watch.stop();
    });

    it("vanish when the session expires; the client reports expired, then connected, and works again", async () => {
      const [owner, other] = [await ctx.connect(), await ctx.connect()];
      const key = `${ctx.ns}/nodes/node-1`;
      const states = recordSession(owner);
      await owner.create(key, "first session", { ephemeral: true });
      await owner.create(`${ctx.ns}/kept`, "persistent");

      await ctx.expireSession(owner);
      await eventually(async () => assert.equal(await other.get(key), undefined), SESSION_WAIT_MS);
      await eventually(() => {
        const expiredAt = states.indexOf("expired");
        assert.ok(expiredAt >= 0 && states.indexOf("connected", expiredAt) > expiredAt, `states: ${states}`);
        assert.equal(owner.sessionState, "connected");
      }, SESSION_WAIT_MS);
      assert.equal((await other.get(`${ctx.ns}/kept`))?.value, "persistent");

      await owner.create(key, "second session", { ephemeral: true });
      assert.equal((await other.get(key))?.value, "second session");
      await owner.close();
      await eventually(async () => assert.equal(await other.get(key), undefined), SESSION_WAIT_MS);
    });
  });

  describe("leader election", () => {
    it("among three candidates exactly one leads; when it resigns or closes, exactly one other follows", async () => {
      const clients = [await ctx.connect(), await ctx.connect(), await ctx.connect()];
      const election = `${ctx.election}-trio`;
      const logs = ["c0", "c1", "c2"].map((name) => new CandidateLog(name));
      const candidacies = await Promise.all(
        clients.map((client, i) =>
          client.campaign(election, (logs[i] as CandidateLog).name, logs[i] as CandidateLog),
        ),
      );
      const observer = await ctx.connect();

      /** Waits for the `round`-th election overall and returns the index of the candidate that won it. */
      async function nextLeader(round: number, excluded: number[]): Promise<number> {
        return eventually(async () => {
          assert.equal(
            logs.reduce((sum, log) => sum + log.elections, 0),
            round,
            "elections so far",
          );
          const leading = candidacies.flatMap((candidacy, i) => (candidacy.leading ? [i] : []));
          assert.equal(leading.length, 1, `candidates flagged leading: ${leading}`);
          const index = leading[0] as number;
          assert.ok(!excluded.includes(index), `c${index} left the election but leads`);
          assert.equal((logs[index] as CandidateLog).elections, 1);
          assert.equal(await observer.leader(election), `c${index}`);
          return index;
        }, EVENT_WAIT_MS);
      }

      const first = await nextLeader(1, []);
      assert.deepEqual((logs[first] as CandidateLog).leases[0]?.election, election);
      await candidacies[first]?.resign();
      await eventually(() => assert.equal((logs[first] as CandidateLog).deposals, 1), EVENT_WAIT_MS);
      assert.equal(candidacies[first]?.leading, false);

      const second = await nextLeader(2, [first]);
      await clients[second]?.close();
      const third = await nextLeader(3, [first, second]);
      assert.deepEqual([first, second, third].sort(), [0, 1, 2]);

      await candidacies[third]?.resign();
      await eventually(async () => assert.equal(await observer.leader(election), undefined), EVENT_WAIT_MS);
      assert.deepEqual(
        logs.map((log) => log.elections),
        [1, 1, 1],
        "each candidate was elected exactly once",
      );
    });

    it("leader() is undefined for an election that nobody joined", async () => {
      const client = await ctx.connect();
      assert.equal(await client.leader(`${ctx.election}-empty`), undefined);
    });

    it("a leader whose session expires is deposed and fenced; the next leader writes; the old one re-joins", async () => {
      const [a, b, c] = [await ctx.connect(), await ctx.connect(), await ctx.connect()];
      const election = `${ctx.election}-fence`;
      const key = `${ctx.ns}/owned-by-leader`;
      const [logA, logB, logC] = [new CandidateLog("a"), new CandidateLog("b"), new CandidateLog("c")];
      const candidacyA = await a.campaign(election, "a", logA);
      const leaseA = await eventually(() => {
        assert.equal(logA.elections, 1);
        return logA.leases[0] as Lease;
      }, EVENT_WAIT_MS);
      await a.transaction([{ op: "create", key, value: "written by a" }], leaseA);
      const candidacyB = await b.campaign(election, "b", logB);
      const candidacyC = await c.campaign(election, "c", logC);

      await ctx.expireSession(a);
      await eventually(() => {
        assert.equal(logA.deposals, 1);
        assert.equal(candidacyA.leading, false);
      }, SESSION_WAIT_MS);
      const [nextClient, nextLog] = await eventually(async () => {
        assert.equal(logB.elections + logC.elections, 1, "exactly one of b and c is elected");
        const winner = logB.elections === 1 ? "b" : "c";
        assert.equal(await a.leader(election), winner);
        return winner === "b" ? ([b, logB] as const) : ([c, logC] as const);
      }, SESSION_WAIT_MS);

      await assert.rejects(a.transaction([{ op: "set", key, value: "deposed write" }], leaseA), FencedError);
      await assert.rejects(
        a.transaction([{ op: "create", key: `${ctx.ns}/by-deposed`, value: 1 }], leaseA),
        FencedError,
      );
      assert.deepEqual(await b.get(key), { key, value: "written by a", version: 0 });
      assert.equal(await b.get(`${ctx.ns}/by-deposed`), undefined);

      const nextLease = nextLog.leases[0];
      assert.ok(nextLease, "the new leader got a lease");
      await nextClient.transaction([{ op: "set", key, value: "new leader", version: 0 }], nextLease);
      assert.deepEqual(await a.get(key), { key, value: "new leader", version: 1 });

      // a re-joined the election by itself after the expiry: once b and c leave, it leads again.
      await candidacyB.resign();
      await candidacyC.resign();
      const leaseA2 = await eventually(async () => {
        assert.equal(logA.elections, 2);
        assert.equal(candidacyA.leading, true);
        assert.equal(await b.leader(election), "a");
        return logA.leases[1] as Lease;
      }, SESSION_WAIT_MS);
      await a.transaction([{ op: "set", key, value: "a again" }], leaseA2);
      await assert.rejects(a.transaction([{ op: "set", key, value: "old lease" }], leaseA), FencedError);
      assert.deepEqual(await c.get(key), { key, value: "a again", version: 2 });
    });
  });
}

// Durability through the API (issue 2): a burst of PUT /deployments against `orchestra run api` on the
// embedded store, kill -9 of the server mid-burst, a restart on the same folder: every acknowledged write is there.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Deployment, DeploymentSpec } from "../src/core/types.js";
import { ClusterRun, type OrchestraProcess } from "./support/cluster.js";

const NAMES = 800;
const CONCURRENCY = 16;
/** The server is killed once this many writes were acknowledged: mid-burst, with requests in flight. */
const KILL_AFTER_ACKS = 350;

/** What the client knows of one deployment: the last write acknowledged, and a write whose answer never came. */
interface Known {
  acked?: Deployment;
  /** Sent, never answered: it may or may not have been stored. */
  unanswered?: DeploymentSpec;
}

function specFor(index: number, version: number): DeploymentSpec {
  return {
    name: `burst-${String(index).padStart(4, "0")}`,
    image: version === 1 ? "orchestra/hello:latest" : "orchestra/test-busybox:latest",
    replicas: index % 7,
    env: { INDEX: String(index), VERSION: String(version) },
  };
}

async function put(url: string, spec: DeploymentSpec): Promise<{ status: number; body: Deployment }> {
  const response = await fetch(`${url}/deployments`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(spec),
    signal: AbortSignal.timeout(10_000),
  });
  // Acknowledged only once the whole answer has arrived.
  return { status: response.status, body: (await response.json()) as Deployment };
}

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
    const first: OrchestraProcess = await run.startProcess(serverArgs);
    const url = first.url;

    const known = new Map<string, Known>();
    let acks = 0;
    let inFlight = 0;
    let inFlightAtKill = -1;
    let killed = false;
    const startedAt = Date.now();

    /** Writes one spec; false when the server did not answer (then the burst is over for this writer). */
    const write = async (spec: DeploymentSpec, expectedStatus: number): Promise<boolean> => {
      const entry = known.get(spec.name) ?? {};
      known.set(spec.name, entry);
      entry.unanswered = spec;
      inFlight++;
      try {
        const { status, body } = await put(url, spec);
        assert.equal(status, expectedStatus, `PUT ${spec.name}: ${status} ${JSON.stringify(body)}`);
        entry.acked = body;
        entry.unanswered = undefined;
        acks++;
      } catch (error) {
        if (!killed) throw error;
        return false;
      } finally {
        inFlight--;
      }
      if (acks >= KILL_AFTER_ACKS && !killed) {
        killed = true;
        inFlightAtKill = inFlight;
        void first.terminate("SIGKILL");
      }
      return true;
    };

    // Each writer takes the next name: creates it, and updates every third one (generation 2).
    let next = 0;
    const writer = async () => {
      while (!killed && next < NAMES) {
        const index = next++;
        if (!(await write(specFor(index, 1), 201))) return;
        if (index % 3 === 0 && !killed && !(await write(specFor(index, 2), 200))) return;
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, writer));
    const exit = await first.exited;
    t.diagnostic(
      `${acks} writes acknowledged in ${Date.now() - startedAt} ms; killed with ${inFlightAtKill} in flight`,
    );
    assert.ok(killed, "the burst ended before the server was killed");
    assert.deepEqual(exit, { code: null, signal: "SIGKILL" });
    assert.ok(inFlightAtKill > 0, "no request was in flight when the server died");
    assert.ok(next < NAMES, "the kill came after the burst");

    const second = await run.startProcess(serverArgs);
    const { status, body } = await fetch(`${second.url}/deployments`).then(async (r) => ({
      status: r.status,
      body: (await r.json()) as Deployment[],
    }));
    assert.equal(status, 200);
    const stored = new Map(body.map((d) => [d.name, d]));

    let lostOrWrong = 0;
    for (const [name, entry] of known) {
      const found = stored.get(name);
      const matches = (spec: DeploymentSpec | undefined) =>
        found !== undefined &&
        spec !== undefined &&
        found.image === spec.image &&
        found.replicas === spec.replicas &&
        JSON.stringify(found.env) === JSON.stringify(spec.env);
      if (entry.acked) {
        // Acknowledged: stored as acknowledged, or as the write after it whose answer the kill swallowed.
        const asAcked =
          matches(entry.acked) &&
          found?.generation === entry.acked.generation &&
          found?.hash === entry.acked.hash;
        const asUnanswered = matches(entry.unanswered) && found?.generation === entry.acked.generation + 1;
        if (!asAcked && !asUnanswered) {
          lostOrWrong++;
          assert.fail(
            `${name}: acknowledged ${JSON.stringify(entry.acked)}, stored ${JSON.stringify(found)}`,
          );
        }
      } else if (found) {
        // Never acknowledged: it may have been stored, but then exactly as sent.
        assert.ok(matches(entry.unanswered), `${name}: stored ${JSON.stringify(found)} was never sent`);
        assert.equal(found.generation, 1);
      }
    }
    assert.equal(lostOrWrong, 0);
    // Nothing appears that was never written.
    for (const name of stored.keys()) assert.ok(known.has(name), `${name} was never written`);
    const acknowledged = [...known.values()].filter((entry) => entry.acked).length;
    assert.ok(stored.size >= acknowledged, `${stored.size} stored, ${acknowledged} acknowledged`);
    t.diagnostic(`${acknowledged} acknowledged deployments, ${stored.size} stored after the restart`);

    assert.deepEqual(await second.terminate("SIGTERM"), { code: 0, signal: null });
  });

  test("leaves no process behind", async () => {
    await run.cleanup();
    assert.deepEqual((await run.leftovers()).processes, []);
  });
});

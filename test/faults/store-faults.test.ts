// Scenario 6: the ZooKeeper ensemble under the cluster loses one member (clients see at most a retried request),
// then its quorum for 30 s (writes get a clear 503, containers keep running, no pod is evicted), and everything
// recovers within 10 s of the quorum's return.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type { Pod } from "../../src/core/types.js";
import { eventually, runCli } from "../support/cluster.js";
import { DEMO_IMAGE, ensureTestImages } from "../support/images.js";
import { DistributedRun, NOTHING_LEFT } from "../support/processes.js";
import type { ZooKeeperMember } from "../support/zookeeper-server.js";
import { http, reliability, seconds, withOneRetry } from "./support-store-faults.js";

const NAME = "web";
/** T: the default session timeout. */
const SESSION_TIMEOUT_MS = 4000;
const QUORUM_LOSS_MS = 30_000;
const RECOVERY_BOUND_MS = 10_000;
const COMMAND = "npm run build && node --test dist/test/faults/store-faults.test.js";

let run: DistributedRun;

async function modeOf(member: ZooKeeperMember): Promise<string> {
  const reply = await member.fourLetterWord("srvr").catch(() => "");
  return /^Mode: (\w+)/m.exec(reply)?.[1] ?? "down";
}

/** `replicas` pods of NAME running, each with exactly one running container of its id. */
async function converged(replicas: number): Promise<{ pods: Pod[]; containerIds: string[] }> {
  const [pods, containers] = await Promise.all([
    run.api<Pod[]>(`/pods?deployment=${NAME}`),
    run.containers({ "orchestra.deployment": NAME }),
  ]);
  const seen = containers.map((c) => `${c.name}(${c.state})`).join(", ");
  assert.equal(pods.length, replicas, `${pods.length} pods`);
  assert.equal(containers.length, replicas, `Docker has ${seen}`);
  for (const pod of pods) {
    assert.equal(pod.status.phase, "Running", `${pod.name}: ${pod.status.phase} ${pod.status.message ?? ""}`);
    const container = containers.find((c) => c.labels["orchestra.pod"] === pod.id);
    assert.ok(container?.running, `${pod.name} has no running container: ${seen}`);
  }
  return { pods, containerIds: containers.map((c) => c.id).sort() };
}

/** A write of a small probe deployment (no replicas: a pure store write). */
function probeWrite(counter: number) {
  return http(`${run.server}/deployments`, {
    method: "PUT",
    body: { name: "probe", image: DEMO_IMAGE, replicas: 0, env: { N: String(counter) } },
  });
}

describe("scenario 6: ZooKeeper member loss and quorum loss", () => {
  before(async () => {
    await ensureTestImages();
    run = new DistributedRun({ nodes: ["a"], sessionTimeoutMs: SESSION_TIMEOUT_MS });
    await run.startZooKeeperEnsemble(3);
    await run.startCluster({ controllers: 1, schedulers: 1 });
  });

  after(async () => {
    await run?.cleanup();
  });

  test("a deployment runs on the ensemble", { timeout: 90_000 }, async () => {
    const result = await runCli(["deploy", NAME, "--image", DEMO_IMAGE, "--replicas", "2"], {
      server: run.server,
    });
    assert.equal(result.code, 0, result.stderr);
    await eventually(() => converged(2), { timeoutMs: 60_000, intervalMs: 250 });
  });

  test("killing one of three servers costs API clients at most one retry", { timeout: 90_000 }, async (t) => {
    const ensemble = run.ensemble;
    assert.ok(ensemble);
    const modes = await Promise.all(ensemble.members.map(modeOf));
    // The leader: its loss also costs a leader election, the harder case for clients.
    const victim = ensemble.members[modes.indexOf("leader")];
    assert.ok(victim, `no leader among ${modes.join(", ")}`);

    let counter = 0;
    let requests = 0;
    let retried = 0;
    const failures: string[] = [];
    let slowestMs = 0;
    let stop = false;
    const client = async () => {
      while (!stop) {
        const n = ++counter;
        const started = Date.now();
        const outcome = await withOneRetry(() =>
          n % 2 === 0 ? probeWrite(n) : http(`${run.server}/deployments`),
        );
        slowestMs = Math.max(slowestMs, Date.now() - started);
        requests++;
        if (outcome.attempts > 1) retried++;
        const ok = outcome.answer !== undefined && outcome.answer.status < 300;
        if (!ok) {
          failures.push(`#${n}: ${outcome.error ?? `${outcome.answer?.status} ${outcome.answer?.body}`}`);
        }
        await sleep(50);
      }
    };
    const clients = Promise.all([client(), client()]);
    await sleep(1000);
    await victim.halt();
    // Long enough for every client to have moved to another member and for a new leader to serve.
    await sleep(8000);
    stop = true;
    await clients;
    t.diagnostic(
      `${requests} requests, ${retried} retried, slowest ${slowestMs} ms, member ${victim.id} halted`,
    );
    assert.deepEqual(failures, [], "a request failed even after one retry");
    assert.ok(requests > 20, `only ${requests} requests`);
    // The cluster did not notice: the same containers run.
    await converged(2);
    reliability(
      "6-zk-member-kill",
      "at most one retry per request",
      `${requests} requests, ${retried} retried, 0 failed; slowest ${seconds(slowestMs)}`,
      COMMAND,
    );
    await victim.restart();
  });

  test("30 s without quorum: writes 503, containers keep running, no eviction; recovery within 10 s", {
    timeout: 150_000,
  }, async (t) => {
    const ensemble = run.ensemble;
    assert.ok(ensemble);
    const before = await converged(2);
    const boundBefore = before.pods.map((p) => `${p.id}@${p.node}`).sort();

    const [, ...lost] = ensemble.members;
    await Promise.all(lost.map((m) => m.halt()));
    const lostAt = Date.now();

    // Writes during the outage: a 503 in bounded time, saying the store is unavailable.
    const outageAnswers: { status: number; error: string; message: string; ms: number }[] = [];
    while (Date.now() - lostAt < QUORUM_LOSS_MS - 8000) {
      const started = Date.now();
      const answer = await probeWrite(-1).catch((error: Error) => ({ status: 0, body: error.message }));
      const body = (() => {
        try {
          return JSON.parse(answer.body) as { error: string; message: string };
        } catch {
          return { error: "", message: answer.body };
        }
      })();
      outageAnswers.push({ status: answer.status, ...body, ms: Date.now() - started });
      await sleep(1000);
    }
    t.diagnostic(`outage answers: ${JSON.stringify(outageAnswers.slice(0, 3))} ...`);
    // The first write may race the surviving member noticing that its peers are gone: judge the rest.
    const judged = outageAnswers.slice(1);
    assert.ok(judged.length >= 3, `${judged.length} writes during the outage`);
    for (const answer of judged) {
      assert.equal(answer.status, 503, JSON.stringify(answer));
      assert.equal(answer.error, "Unavailable");
      assert.match(answer.message, /ZooKeeper|store/i, JSON.stringify(answer));
      assert.ok(answer.ms < 10_000, `a 503 took ${answer.ms} ms`);
    }

    // Containers keep running through the whole outage.
    while (Date.now() - lostAt < QUORUM_LOSS_MS) {
      const running = await run.containers({ "orchestra.deployment": NAME });
      assert.deepEqual(
        running
          .filter((c) => c.running)
          .map((c) => c.id)
          .sort(),
        before.containerIds,
        "a container was stopped or added while the store was away",
      );
      await sleep(1000);
    }

    await Promise.all(lost.map((m) => m.restart()));
    const quorumAt = Date.now();
    const outageMs = quorumAt - lostAt;

    // A write succeeds.
    const firstWrite = await eventually(
      async () => {
        const answer = await probeWrite(1_000_000);
        assert.ok(answer.status < 300, `${answer.status} ${answer.body}`);
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    ).then(() => Date.now() - quorumAt);

    // No pod was evicted or replaced; the same containers run.
    const after = await converged(2);
    assert.deepEqual(
      after.pods.map((p) => `${p.id}@${p.node}`).sort(),
      boundBefore,
      "pods were evicted or rebound",
    );
    assert.deepEqual(after.containerIds, before.containerIds, "containers were replaced");

    // A scale change converges.
    const scaleStarted = Date.now();
    const scaled = await runCli(["scale", NAME, "3"], { server: run.server });
    assert.equal(scaled.code, 0, scaled.stderr);
    await eventually(() => converged(3), { timeoutMs: 30_000, intervalMs: 100 });
    const scaleMs = Date.now() - quorumAt;
    t.diagnostic(
      `outage ${outageMs} ms; first write ${firstWrite} ms after quorum; scale converged ${scaleMs} ms after quorum (${Date.now() - scaleStarted} ms after the command)`,
    );
    assert.ok(firstWrite <= RECOVERY_BOUND_MS, `first write ${firstWrite} ms after quorum returned`);
    assert.ok(scaleMs <= RECOVERY_BOUND_MS, `scale converged ${scaleMs} ms after quorum returned`);

    reliability(
      "6-zk-quorum-loss",
      "writes 503, 0 containers stopped, 0 pods evicted",
      `${judged.length}/${judged.length} writes 503 (slowest ${seconds(Math.max(...judged.map((a) => a.ms)))}), 0 stopped, 0 evicted over ${seconds(outageMs)}`,
      COMMAND,
    );
    reliability("6-zk-quorum-return-write", "10 s", seconds(firstWrite), COMMAND);
    reliability("6-zk-quorum-return-scale", "10 s", seconds(scaleMs), COMMAND);
  });

  test("leaves no process, container, network or ZooKeeper behind", async () => {
    await run.cleanup();
    assert.deepEqual(await run.leftovers(), NOTHING_LEFT);
  });
});

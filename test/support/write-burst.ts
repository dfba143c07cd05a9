// A burst of PUT /deployments from concurrent writers that kills the server mid-burst, and the check that every
// acknowledged write is stored afterwards. Used by test/api-durability.test.ts and the fault suite (scenario 8).
import assert from "node:assert/strict";
import type { Deployment, DeploymentSpec } from "../../src/core/types.js";

/** What the client knows of one deployment: the last write acknowledged, and a write whose answer never came. */
export interface KnownWrite {
  acked?: Deployment;
  /** Sent, never answered: it may or may not have been stored. */
  unanswered?: DeploymentSpec;
}

export interface BurstOptions {
  /** The API server's URL. */
  url: string;
  /** Writes in the whole burst (creates, plus an update of every `updateEvery`-th name). */
  writes: number;
  concurrency: number;
  /** `kill` is called once this many writes were acknowledged. */
  killAfterAcks: number;
  kill: () => void;
  updateEvery?: number;
  /** Replicas of every deployment written (0: nothing to run, only store writes). */
  replicas?: number;
}

export interface BurstResult {
  known: Map<string, KnownWrite>;
  acks: number;
  /** Writes sent (answered or not) before the burst ended. */
  sent: number;
  inFlightAtKill: number;
  killed: boolean;
  elapsedMs: number;
}

export function burstSpec(index: number, generation: number, replicas: number): DeploymentSpec {
  return {
    name: `burst-${String(index).padStart(4, "0")}`,
    image: generation === 1 ? "orchestra/hello:latest" : "orchestra/test-busybox:latest",
    replicas,
    env: { INDEX: String(index), GENERATION: String(generation) },
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

/** Runs the burst; a write that fails before the kill fails the test, after the kill it ends its writer. */
export async function writeBurstUntilKilled(options: BurstOptions): Promise<BurstResult> {
  const updateEvery = options.updateEvery ?? 3;
  const replicas = options.replicas ?? 0;
  const known = new Map<string, KnownWrite>();
  const result: BurstResult = { known, acks: 0, sent: 0, inFlightAtKill: -1, killed: false, elapsedMs: 0 };
  let inFlight = 0;
  const startedAt = Date.now();

  const write = async (spec: DeploymentSpec, expectedStatus: number): Promise<boolean> => {
    const entry = known.get(spec.name) ?? {};
    known.set(spec.name, entry);
    entry.unanswered = spec;
    inFlight++;
    result.sent++;
    try {
      const { status, body } = await put(options.url, spec);
      assert.equal(status, expectedStatus, `PUT ${spec.name}: ${status} ${JSON.stringify(body)}`);
      entry.acked = body;
      entry.unanswered = undefined;
      result.acks++;
    } catch (error) {
      if (!result.killed) throw error;
      return false;
    } finally {
      inFlight--;
    }
    if (result.acks >= options.killAfterAcks && !result.killed) {
      result.killed = true;
      result.inFlightAtKill = inFlight;
      options.kill();
    }
    return true;
  };

  let next = 0;
  const writer = async () => {
    while (!result.killed && result.sent < options.writes) {
      const index = next++;
      if (!(await write(burstSpec(index, 1, replicas), 201))) return;
      const update = index % updateEvery === 0 && !result.killed && result.sent < options.writes;
      if (update && !(await write(burstSpec(index, 2, replicas), 200))) return;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, writer));
  result.elapsedMs = Date.now() - startedAt;
  return result;
}

/**
 * Compares what the server stores after the restart with what the burst knows: every acknowledged write is
 * there (or the write after it whose answer the kill swallowed), nothing unacknowledged is corrupted, nothing
 * was invented. Returns how many acknowledged deployments were found.
 */
export function assertAcknowledgedWritesStored(known: Map<string, KnownWrite>, stored: Deployment[]): number {
  const byName = new Map(stored.filter((d) => d.name.startsWith("burst-")).map((d) => [d.name, d]));
  let acknowledged = 0;
  for (const [name, entry] of known) {
    const found = byName.get(name);
    const matches = (spec: DeploymentSpec | undefined) =>
      found !== undefined &&
      spec !== undefined &&
      found.image === spec.image &&
      found.replicas === spec.replicas &&
      JSON.stringify(found.env) === JSON.stringify(spec.env);
    if (entry.acked) {
      acknowledged++;
      const asAcked =
        matches(entry.acked) &&
        found?.generation === entry.acked.generation &&
        found?.hash === entry.acked.hash;
      const asUnanswered = matches(entry.unanswered) && found?.generation === entry.acked.generation + 1;
      assert.ok(
        asAcked || asUnanswered,
        `${name}: acknowledged ${JSON.stringify(entry.acked)}, stored ${JSON.stringify(found)}`,
      );
    } else if (found) {
      assert.ok(matches(entry.unanswered), `${name}: stored ${JSON.stringify(found)} was never sent`);
      assert.equal(found.generation, 1);
    }
  }
  for (const name of byName.keys()) assert.ok(known.has(name), `${name} was never written`);
  return acknowledged;
}

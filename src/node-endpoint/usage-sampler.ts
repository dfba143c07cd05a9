// CPU and memory of a node's pod containers now, for `orchestra top`. The engine gives CPU time as a counter;
// a rate needs two samples, so each container's last sample is kept: a request soon after another (or after a
// Prometheus scrape) is answered at once, a first one waits half a second for its second sample.
import { setTimeout as sleep } from "node:timers/promises";
import type { ContainerInfo, ContainerRuntime, ContainerStats } from "../runtime/runtime.js";

export interface ContainerUsage {
  /** Millicores, averaged between two samples. */
  cpu: number;
  /** Working set, bytes. */
  memory: number;
}

/** Two samples closer than this are too noisy for a rate; further apart than `MAX_AGE_MS`, too stale. */
const MIN_GAP_MS = 400;
const MAX_AGE_MS = 60_000;
const SECOND_SAMPLE_AFTER_MS = 500;

export class UsageSampler {
  private readonly last = new Map<string, ContainerStats>();

  constructor(private readonly runtime: ContainerRuntime) {}

  /** Usage of each running container of `containers` (by id); a container that stopped meanwhile is left out. */
  async usage(containers: ContainerInfo[]): Promise<Map<string, ContainerUsage>> {
    const running = containers.filter((c) => c.running);
    for (const id of this.last.keys()) if (!running.some((c) => c.id === id)) this.last.delete(id);
    const first = await this.sampleAll(running.map((c) => c.id));
    const result = new Map<string, ContainerUsage>();
    const again: string[] = [];
    for (const [id, now] of first) {
      const before = this.last.get(id);
      if (before && now.at - before.at >= MIN_GAP_MS && now.at - before.at <= MAX_AGE_MS) {
        result.set(id, usageBetween(before, now));
        this.last.set(id, now);
      } else {
        this.last.set(id, now);
        again.push(id);
      }
    }
    if (again.length > 0) {
      await sleep(SECOND_SAMPLE_AFTER_MS);
      for (const [id, now] of await this.sampleAll(again)) {
        const before = first.get(id) as ContainerStats;
        result.set(id, usageBetween(before, now));
        this.last.set(id, now);
      }
    }
    return result;
  }

  /** One sample of each; containers that cannot be sampled (stopped, gone) are left out. */
  private async sampleAll(ids: string[]): Promise<Map<string, ContainerStats>> {
    const samples = await Promise.all(
      ids.map(async (id) => [id, await this.runtime.stats(id).catch(() => undefined)] as const),
    );
    return new Map(samples.filter((s): s is readonly [string, ContainerStats] => s[1] !== undefined));
  }
}

/** Millicores between two samples of one container (0 when the clock or the counter did not move forward). */
export function usageBetween(before: ContainerStats, now: ContainerStats): ContainerUsage {
  const seconds = (now.at - before.at) / 1000;
  const cpu = seconds > 0 ? Math.max(0, ((now.cpuSeconds - before.cpuSeconds) / seconds) * 1000) : 0;
  return { cpu: Math.round(cpu), memory: now.memoryBytes };
}

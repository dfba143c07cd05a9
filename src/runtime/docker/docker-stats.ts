// One sample of a running container's resource use from the engine (`docker stats --no-stream`, one-shot: no
// second sample is waited for; rates come from the caller comparing two samples).
import type Docker from "dockerode";
import { ConflictError, NotFoundError } from "../../core/errors.js";
import type { ContainerStats } from "../runtime.js";
import { isStatus } from "./docker-errors.js";

export async function dockerStats(docker: Docker, id: string): Promise<ContainerStats> {
  let sample: Docker.ContainerStats;
  try {
    sample = await docker.getContainer(id).stats({ stream: false, "one-shot": true });
  } catch (err) {
    if (isStatus(err, 404)) throw new NotFoundError(`container "${id}" not found`);
    throw err;
  }
  // A stopped container yields an empty sample read at the zero time.
  const at = Date.parse(sample.read);
  if (!(at > 0) || !sample.memory_stats?.usage) throw new ConflictError(`container "${id}" is not running`);
  return {
    cpuSeconds: (sample.cpu_stats?.cpu_usage?.total_usage ?? 0) / 1e9,
    memoryBytes: workingSet(sample.memory_stats),
    at,
  };
}

/** As `docker stats` shows it: usage less the inactive file cache (cgroup v2 `inactive_file`, v1 `total_inactive_file`). */
function workingSet(memory: Docker.MemoryStats): number {
  const stats = (memory.stats ?? {}) as unknown as Record<string, number | undefined>;
  const inactive = stats.inactive_file ?? stats.total_inactive_file ?? 0;
  const usage = memory.usage ?? 0;
  return inactive < usage ? usage - inactive : usage;
}

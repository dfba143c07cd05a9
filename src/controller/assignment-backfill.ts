// Assignment keys for bound pods that lack one: pods bound before assignments existed (a store written by an
// earlier version). Every later write of a bound pod names its assignment (see store/pod-ops.ts) and would fail
// without it, so the leading controller creates the missing ones when it is elected.
import { ConflictError, NotFoundError } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import type { Pod } from "../core/types.js";
import { keys } from "../store/keys.js";
import type { Assignment } from "../store/pod-ops.js";
import { baseName, type Entry, type Lease, type Store } from "../store/store.js";

/** Creates the missing assignments of `pods` (each checked at the version read); returns how many it made. */
export async function backfillAssignments(
  store: Store,
  pods: readonly Readonly<Entry<Pod>>[],
  lease: Lease,
  log: Logger,
): Promise<number> {
  const byNode = new Map<string, Readonly<Entry<Pod>>[]>();
  for (const entry of pods) {
    const node = entry.value.node;
    if (node === undefined) continue;
    byNode.set(node, [...(byNode.get(node) ?? []), entry]);
  }
  let created = 0;
  for (const [node, bound] of byNode) {
    const present = new Set((await store.list(keys.assignments(node))).map((entry) => baseName(entry.key)));
    for (const entry of bound) {
      const pod = entry.value;
      if (present.has(pod.id)) continue;
      const assignment: Assignment = { pod: pod.name, deployment: pod.deployment };
      try {
        // The check: only for the pod as read; one that moved or went meanwhile was written with its assignment.
        await store.transaction(
          [
            { op: "check", key: keys.pod(pod.id), version: entry.version },
            { op: "create", key: keys.assignment(node, pod.id), value: assignment },
          ],
          lease,
        );
        created++;
      } catch (err) {
        if (!(err instanceof ConflictError || err instanceof NotFoundError)) throw err;
      }
    }
  }
  if (created > 0) log.info({ created }, "created the missing assignments of bound pods");
  return created;
}

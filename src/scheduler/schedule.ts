// The scheduler's decision, a pure function: a snapshot of nodes and pods plus the pending pods in, the
// bindings and the reasons why the rest cannot be placed out. No I/O; the Scheduler commits the result.
import type { Pod } from "../core/types.js";
import type { Pipeline } from "./framework.js";
import { defaultPipeline } from "./pipeline.js";
import { SchedulingState, type Snapshot } from "./state.js";

export interface Binding {
  podId: string;
  node: string;
}

export interface Unschedulable {
  podId: string;
  /** Shown to the user as the pod's status message, e.g. `0/3 nodes available: 2 insufficient memory, 1 cordoned`. */
  message: string;
}

export interface ScheduleResult {
  bindings: Binding[];
  unschedulable: Unschedulable[];
}

export const NO_READY_NODES = "no ready nodes";

/** Places `pending` in order; each binding counts against the nodes for the pods after it. */
export function schedule(
  snapshot: Snapshot,
  pending: Pod[],
  pipeline: Pipeline = defaultPipeline,
): ScheduleResult {
  const result: ScheduleResult = { bindings: [], unschedulable: [] };
  const state = SchedulingState.from(snapshot, new Set(pending.map((pod) => pod.id)));
  const nodes = [...snapshot.nodes].sort((a, b) => compareNames(a.name, b.name));

  // Score buffers reused for every node: the best so far passing every filter, the best passing all but
  // soft ones (the fallback), and the candidate's.
  let bestScores = new Float64Array(pipeline.scorers.length);
  let fallbackScores = new Float64Array(pipeline.scorers.length);
  let scores = new Float64Array(pipeline.scorers.length);
  const hardFilters = pipeline.filters.filter((stage) => !stage.soft);
  const softFilters = pipeline.filters.filter((stage) => stage.soft);
  for (const pod of pending) {
    if (nodes.length === 0) {
      result.unschedulable.push({ podId: pod.id, message: NO_READY_NODES });
      continue;
    }
    const reasons = new Map<string, number>();
    let best: string | undefined;
    let fallback: string | undefined;
    for (const node of nodes) {
      const rejection = firstRejection(hardFilters, node, pod, state);
      if (rejection !== undefined) {
        reasons.set(rejection, (reasons.get(rejection) ?? 0) + 1);
        continue;
      }
      const softRejection = firstRejection(softFilters, node, pod, state);
      if (softRejection !== undefined && best !== undefined) continue; // a better-placed node exists
      for (let i = 0; i < pipeline.scorers.length; i++)
        scores[i] = pipeline.scorers[i]?.scorer(node, pod, state) ?? 0;
      // Nodes are visited in name order, so keeping the first of equals breaks ties by name.
      if (softRejection === undefined) {
        if (best === undefined || compareScores(scores, bestScores) > 0) {
          best = node.name;
          [bestScores, scores] = [scores, bestScores];
        }
      } else if (fallback === undefined || compareScores(scores, fallbackScores) > 0) {
        fallback = node.name;
        [fallbackScores, scores] = [scores, fallbackScores];
      }
    }
    const chosen = best ?? fallback;
    if (chosen !== undefined) {
      state.assume(pod, chosen);
      result.bindings.push({ podId: pod.id, node: chosen });
    } else {
      result.unschedulable.push({ podId: pod.id, message: describeReasons(nodes.length, reasons) });
    }
  }
  return result;
}

/** `0/3 nodes available: 2 insufficient memory, 1 unschedulable`: most frequent reason first. */
export function describeReasons(nodeCount: number, reasons: Map<string, number>): string {
  const counted = [...reasons]
    .sort(([reasonA, countA], [reasonB, countB]) => countB - countA || compareNames(reasonA, reasonB))
    .map(([reason, count]) => `${count} ${reason}`);
  return `0/${nodeCount} nodes available: ${counted.join(", ")}`;
}

function firstRejection(
  filters: Pipeline["filters"],
  node: Snapshot["nodes"][number],
  pod: Pod,
  state: SchedulingState,
): string | undefined {
  for (const { filter } of filters) {
    const result = filter(node, pod, state);
    if (!result.ok) return result.reason;
  }
  return undefined;
}

function compareScores(a: Float64Array, b: Float64Array): number {
  for (let i = 0; i < a.length; i++) {
    const difference = (a[i] ?? 0) - (b[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

/** Plain code-unit order, the same on every machine (unlike localeCompare). */
function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// The shapes of the scheduler's plug-ins: feasibility filters say whether a pod can go on a node (and why
// not), scorers say how good a node is. Both are pure functions of the node, the pod and the batch state.
import type { NodeInfo, Pod } from "../core/types.js";
import type { SchedulingState } from "./state.js";

export type FilterResult = { ok: true } | { ok: false; reason: string };

export const feasible: FilterResult = Object.freeze({ ok: true });

export function infeasible(reason: string): FilterResult {
  return { ok: false, reason };
}

/** `reason` is short and countable: "insufficient memory", "unschedulable". */
export type Filter = (node: NodeInfo, pod: Pod, state: SchedulingState) => FilterResult;

/** Higher is better. */
export type Scorer = (node: NodeInfo, pod: Pod, state: SchedulingState) => number;

export interface Pipeline {
  /**
   * A soft filter is relaxed when no node passes every filter but some pass all the hard ones: it steers
   * pods away from nodes without ever leaving a pod unplaced on their account.
   */
  filters: { name: string; filter: Filter; soft?: boolean }[];
  /** Compared in order: the first scorer that differs between two nodes decides. */
  scorers: { name: string; scorer: Scorer }[];
}

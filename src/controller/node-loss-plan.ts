// Which lost nodes' pods to move now: a pure decision over registered nodes, the nodes pods are bound to and
// how long each has been absent, with a guard against evicting everything when most nodes vanish at once.

export interface NodeLossOptions {
  /** How long a registration must stay gone before its pods move (covers a worker restarting in place). */
  graceMs: number;
  /** Above this fraction of absent nodes the loss is a mass loss (Kubernetes' unhealthy-zone threshold). */
  massLossFraction: number;
  /** How long a mass loss (some nodes still registered) is waited out before its pods move anyway. */
  massLossHoldMs: number;
  /**
   * The grace of a node still missing when an outage or mass loss ends: longer than `graceMs`, because
   * workers coming back from an outage re-register one after another.
   */
  recoveryGraceMs: number;
  /** The grace of a node whose worker said it was stopping cleanly (a restart in place, e.g. an upgrade). */
  restartGraceMs: number;
}

/**
 * Defaults: a 1.5 s grace (30 s after a clean stop of the worker), the guard above 55% of nodes absent, a mass
 * loss waited out for 5 minutes, 10 s for the stragglers of an outage.
 */
export const DEFAULT_NODE_LOSS: NodeLossOptions = {
  graceMs: 1_500,
  massLossFraction: 0.55,
  massLossHoldMs: 300_000,
  recoveryGraceMs: 10_000,
  restartGraceMs: 30_000,
};

/** What the decision remembers between evaluations. */
export interface NodeLossState {
  /** Absent node → when its absence started counting (ms): its pods move `graceMs` after that. */
  absentSince: ReadonlyMap<string, number>;
  /** When the current mass loss or outage began, if one is going on. */
  holdSince?: number;
}

export interface NodeLossInput {
  /** Names of the nodes whose registration is in the store. */
  registered: ReadonlySet<string>;
  /** Names of the nodes that pods are bound to. */
  bound: ReadonlySet<string>;
  /** Absent nodes whose worker stopped cleanly (it marked its registration `stoppingAt`). */
  stopped?: ReadonlySet<string>;
  now: number;
}

export type NodeLossMode =
  /** Every absent node is judged alone: lost after the grace. */
  | "normal"
  /** No node is registered at all (store outage, or every worker down): nowhere to move pods; nothing moves. */
  | "outage"
  /** More than `massLossFraction` of the nodes are absent: nothing moves until `massLossHoldMs` has passed. */
  | "mass-loss";

export interface NodeLossDecision {
  state: NodeLossState;
  mode: NodeLossMode;
  /** Nodes that pods are bound to and that have no registration, sorted. */
  absent: string[];
  /** Absent nodes whose pods move now. */
  evict: string[];
  /** When to look again (ms from now) because a grace or hold ends, if ever. */
  recheckInMs?: number;
}

/**
 * The rule. A node counts as absent while pods are bound to it and its registration is gone. Then:
 * - no node registered at all: `outage`, nothing moves (there is nowhere to go, and a store outage or a
 *   whole-cluster restart looks exactly like this);
 * - more than `massLossFraction` of the known nodes (registered + absent) absent: `mass-loss`, nothing moves
 *   until the loss has lasted `massLossHoldMs` (counted from when the outage or mass loss began);
 * - otherwise each absent node's pods move once it has been absent for `graceMs` (`restartGraceMs` when its
 *   worker stopped cleanly: most likely it is restarting in place).
 * When a hold ends, a node still missing gets `recoveryGraceMs` from then instead of being evicted the
 * moment the others come back.
 */
export function decideNodeLoss(
  previous: NodeLossState,
  input: NodeLossInput,
  options: NodeLossOptions = DEFAULT_NODE_LOSS,
): NodeLossDecision {
  const { registered, bound, now } = input;
  const absent = [...bound].filter((node) => !registered.has(node)).sort();
  const absentSince = new Map<string, number>();
  // After (or during) a hold, a node still missing starts afresh, with the longer recovery grace.
  const afterHold = previous.holdSince !== undefined;
  const fresh = afterHold ? now + Math.max(0, options.recoveryGraceMs - options.graceMs) : now;
  for (const node of absent) {
    absentSince.set(node, (afterHold ? undefined : previous.absentSince.get(node)) ?? fresh);
  }
  if (absent.length === 0) return { state: { absentSince }, mode: "normal", absent, evict: [] };

  const total = registered.size + absent.length;
  const outage = registered.size === 0;
  const massLoss = !outage && total > 1 && absent.length / total > options.massLossFraction;
  if (outage || massLoss) {
    const holdSince = previous.holdSince ?? now;
    const state = { absentSince, holdSince };
    if (outage) return { state, mode: "outage", absent, evict: [] };
    const holdLeft = holdSince + options.massLossHoldMs - now;
    if (holdLeft <= 0) return { state, mode: "mass-loss", absent, evict: absent };
    return { state, mode: "mass-loss", absent, evict: [], recheckInMs: holdLeft };
  }

  const evict: string[] = [];
  let recheckInMs: number | undefined;
  for (const node of absent) {
    const grace = input.stopped?.has(node) ? options.restartGraceMs : options.graceMs;
    const left = (absentSince.get(node) as number) + grace - now;
    if (left <= 0) evict.push(node);
    else recheckInMs = Math.min(recheckInMs ?? left, left);
  }
  return { state: { absentSince }, mode: "normal", absent, evict, recheckInMs };
}

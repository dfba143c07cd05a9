// Node lifecycle (leader only, beside the deployment loop): a node whose registration stays gone is lost, and
// its pods are unbound (fenced, version-checked) so that the scheduler places them elsewhere under the same
// names. `decideNodeLoss` holds back when most nodes vanish at once, e.g. in a store outage.
import { type Clock, systemClock } from "../core/clock.js";
import { FencedError } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import { unbind } from "../core/pod-transitions.js";
import type { NodeInfo, Pod } from "../core/types.js";
import type { EventSink } from "../events/event-recorder.js";
import type { Informer } from "../machinery/informer.js";
import { commitPodWrites, type PodWrite } from "../scheduler/binding.js";
import type { Lease, SessionState, Store } from "../store/store.js";
import {
  DEFAULT_NODE_LOSS,
  decideNodeLoss,
  type NodeLossMode,
  type NodeLossOptions,
  type NodeLossState,
} from "./node-loss-plan.js";

export interface NodeLifecycleOptions {
  store: Store;
  nodes: Informer<NodeInfo>;
  pods: Informer<Pod>;
  /** The leader's lease; no lease, no writes. */
  lease: () => Lease | undefined;
  events: EventSink;
  logger: Logger;
  clock?: Clock;
  loss?: Partial<NodeLossOptions>;
}

/** How soon a pod write that conflicted is looked at again. */
const RETRY_MS = 500;

export class NodeLifecycle {
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly options: NodeLossOptions;
  private state: NodeLossState = { absentSince: new Map() };
  private mode: NodeLossMode = "normal";
  /** Lost nodes already announced with a NodeLost event (until they come back or have no pods left). */
  private readonly announced = new Set<string>();
  /** Nodes whose registration went after their worker marked it stopping: a restart in place, most likely. */
  private readonly stopped = new Set<string>();
  private active = false;
  /** Set when our own session dropped: the caches may be stale, so absence clocks start over. */
  private sessionInterrupted = false;
  private evaluating?: Promise<void>;
  private again = false;
  private cancelTimer?: () => void;
  private timerDue = 0;
  private stopSessionListener?: () => void;

  constructor(private readonly deps: NodeLifecycleOptions) {
    this.store = deps.store;
    this.clock = deps.clock ?? systemClock;
    this.log = deps.logger.child({ loop: "node-lifecycle" });
    this.options = { ...DEFAULT_NODE_LOSS, ...deps.loss };
    const poke = () => this.poke();
    // Kept by leader and standby alike: a registration's last value says whether its worker stopped cleanly.
    deps.nodes.addHandlers({
      onAdd: (name) => {
        this.stopped.delete(name);
        poke();
      },
      onUpdate: poke,
      onDelete: (name, last) => {
        if (last.stoppingAt) this.stopped.add(name);
        else this.stopped.delete(name);
        poke();
      },
      onResync: poke,
    });
    // Only pods on nodes without a registration matter here: a binding to a live node (nearly every pod
    // event) needs no look at the whole cluster.
    const unregistered = (node: string | undefined) => node !== undefined && !deps.nodes.get(node);
    deps.pods.addHandlers({
      onAdd: (_id, pod) => {
        if (unregistered(pod.node)) poke();
      },
      onUpdate: (_id, before, after) => {
        if (before.node !== after.node && (unregistered(before.node) || unregistered(after.node))) poke();
      },
      onDelete: (_id, pod) => {
        if (unregistered(pod.node)) poke();
      },
      onResync: poke,
    });
  }

  /** Starts judging nodes (on election). Absence clocks start now: what happened before is not known for sure. */
  start(): void {
    if (this.active) return;
    this.active = true;
    this.state = { absentSince: new Map() };
    this.mode = "normal";
    this.announced.clear();
    this.stopSessionListener = this.store.onSession((state) => this.onSession(state));
    this.poke();
  }

  /** Stops (on deposition): lets an evaluation in flight finish. */
  async stop(): Promise<void> {
    this.active = false;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.stopSessionListener?.();
    await this.evaluating;
  }

  /** Evaluates now, or once more after the evaluation in flight. */
  poke(): void {
    if (!this.active) return;
    if (this.evaluating) {
      this.again = true;
      return;
    }
    this.evaluating = (async () => {
      do {
        this.again = false;
        try {
          await this.evaluate();
        } catch (err) {
          this.log.warn({ err }, "node lifecycle evaluation failed; retrying");
          this.recheckIn(RETRY_MS);
        }
      } while (this.again && this.active);
    })().finally(() => {
      this.evaluating = undefined;
      // A poke between the loop's last check and here would otherwise be lost.
      if (this.again) this.poke();
    });
  }

  /** Resolves when no evaluation is running (for tests). */
  async whenIdle(): Promise<void> {
    while (this.evaluating) await this.evaluating;
  }

  private onSession(state: SessionState): void {
    if (state !== "connected") {
      // Without a live session we see nothing new: judging absence on this cache would act on stale data.
      this.sessionInterrupted = true;
      return;
    }
    this.poke();
  }

  private async evaluate(): Promise<void> {
    const lease = this.deps.lease();
    if (!this.active || !lease || this.store.sessionState !== "connected") return;
    if (this.sessionInterrupted) {
      this.sessionInterrupted = false;
      this.state = { absentSince: new Map() };
      this.log.info("own session was interrupted: node absence is judged afresh from now");
    }
    const now = this.clock.now();
    const pods = this.deps.pods.entries();
    const bound = new Set<string>();
    for (const entry of pods) if (entry.value.node !== undefined) bound.add(entry.value.node);
    const decision = decideNodeLoss(
      this.state,
      { registered: new Set(this.deps.nodes.names()), bound, stopped: this.stopped, now },
      this.options,
    );
    for (const node of this.stopped) if (!decision.state.absentSince.has(node)) this.stopped.delete(node);
    this.noteChanges(decision.absent, decision.mode);
    this.state = decision.state;
    this.mode = decision.mode;
    if (decision.recheckInMs !== undefined) this.recheckIn(decision.recheckInMs);

    const evicting = new Set(decision.evict);
    if (evicting.size === 0) return;
    for (const node of evicting) {
      if (this.announced.has(node)) continue;
      this.announced.add(node);
      const count = pods.filter((entry) => entry.value.node === node).length;
      this.log.warn({ node, pods: count }, "node lost: moving its pods");
      this.deps.events.record({
        type: "Warning",
        reason: "NodeLost",
        object: `node/${node}`,
        message: `registration gone; moving ${count} pod${count === 1 ? "" : "s"} to other nodes`,
      });
    }
    const stamp = new Date(now).toISOString();
    const writes: PodWrite[] = [];
    for (const entry of pods) {
      const pod = entry.value;
      // A terminating pod is deleted by the deployment loop after its drain; moving it would only restart it.
      if (pod.node === undefined || !evicting.has(pod.node) || pod.terminatingSince) continue;
      writes.push({
        id: pod.id,
        version: entry.version,
        previousNode: pod.node,
        value: unbind(pod, `node ${pod.node} lost`, stamp),
      });
    }
    if (writes.length === 0) return;
    let outcome: Awaited<ReturnType<typeof commitPodWrites>>;
    try {
      outcome = await commitPodWrites(this.store, lease, writes);
    } catch (err) {
      if (!(err instanceof FencedError)) throw err;
      this.log.warn({ err: err.message }, "unbinding fenced: no longer the leader");
      return;
    }
    const byId = new Map(writes.map((write) => [write.id, write.value]));
    for (const id of outcome.written) {
      const pod = byId.get(id) as Pod;
      this.deps.events.record({
        type: "Warning",
        reason: "PodRescheduled",
        object: `pod/${pod.name}`,
        deployment: pod.deployment,
        message: pod.status.message ?? "",
      });
    }
    this.log.info(
      { unbound: outcome.written.length, retrying: outcome.failed.length },
      "pods of lost nodes unbound",
    );
    // Changed meanwhile (or the store hiccuped): the watch brings the new version; look again soon anyway.
    if (outcome.failed.length > 0) this.recheckIn(RETRY_MS);
  }

  /** Logs nodes going absent or coming back, and entering or leaving a hold, once each. */
  private noteChanges(absent: string[], mode: NodeLossMode): void {
    const before = this.state.absentSince;
    for (const node of absent) if (!before.has(node)) this.log.warn({ node }, "node registration gone");
    const now = new Set(absent);
    for (const node of before.keys()) {
      if (now.has(node)) continue;
      this.announced.delete(node);
      this.log.info({ node }, "node back, or no pods left on it");
    }
    if (mode === this.mode) return;
    if (mode === "normal") {
      this.log.info({ was: this.mode }, "node loss hold over");
      return;
    }
    const why =
      mode === "outage"
        ? "no node is registered (store outage or every worker down): pods stay bound until their nodes return"
        : `more than ${Math.round(this.options.massLossFraction * 100)}% of nodes lost at once: pods stay bound ` +
          `for up to ${Math.round(this.options.massLossHoldMs / 1000)}s unless the nodes return`;
    this.log.warn({ absent }, why);
    this.deps.events.record({
      type: "Warning",
      reason: "NodeLossHeld",
      object: `node/${absent[0]}`,
      message: `${absent.length} node${absent.length === 1 ? "" : "s"} (${absent.join(", ")}): ${why}`,
    });
  }

  /** Makes sure an evaluation runs within `ms` (an earlier one already due is kept). */
  private recheckIn(ms: number): void {
    if (!this.active) return;
    const due = this.clock.now() + Math.max(0, ms);
    if (this.cancelTimer && this.timerDue <= due) return;
    this.cancelTimer?.();
    this.timerDue = due;
    this.cancelTimer = this.clock.setTimeout(
      () => {
        this.cancelTimer = undefined;
        this.poke();
      },
      Math.max(0, ms),
    );
  }
}

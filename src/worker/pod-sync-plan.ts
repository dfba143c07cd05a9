// What one sync of a pod on this node should do, decided from plain data (the kubelet's computePodActions,
// Nomad's plan-then-apply): the pod as stored, its containers here, its crash record, the health verdict and
// the time in; containers to remove or stop, the status to write, events, a start, a move elsewhere out. The
// worker (worker.ts) only carries the plan out, so a new decision goes here, with a test on plain data.
import { containerRunning, crashLoopBackOff, type RunningContainer } from "../core/pod-transitions.js";
import type { Pod, PodStatus } from "../core/types.js";
import type { ContainerInfo } from "../runtime/runtime.js";
import { type CrashBackoffOptions, type CrashRecord, countCrash } from "./crash-backoff.js";
import { type MonitoredContainer, type ProbedContainer, sameTarget } from "./health/health-monitor.js";
import type { StatusChange } from "./pod-status-writer.js";

/** What the worker remembers of a pod between syncs. */
export interface RestartState {
  crashes?: CrashRecord;
  /** A crashed container's restart waits until `at` (epoch ms); `exit` says how it ended, for messages. */
  backoff?: { at: number; exit: string };
  /**
   * Stopped containers whose end is already counted as a crash: one the engine refuses to remove stays listed
   * (renamed aside), and is not a new crash at the next sync.
   */
  counted?: string[];
}

export interface PodSyncInput {
  node: string;
  /** The pod as read from the store; undefined when it is gone. */
  pod: Pod | undefined;
  /** The pod's containers on this node, running or not. */
  containers: ContainerInfo[];
  restart: RestartState | undefined;
  /** The backoff in force for the pod (crash-backoff.ts `crashOptions`). */
  policy: Required<CrashBackoffOptions>;
  /** The container the health monitor probes for this pod, with its verdict. */
  health: ProbedContainer | undefined;
  now: number;
}

export interface Removal {
  container: ContainerInfo;
  reason: string;
  /** The pod's last container to stop: its output is kept first, for `logs --previous`. */
  keepLogs?: true;
}

export interface PlannedEvent {
  type: "Normal" | "Warning";
  reason: string;
  message: string;
}

/** Carried out in this order (see Worker.carryOut). */
export interface PodSyncPlan {
  /** Not this node's pod (gone or bound elsewhere): forget it here, remove its containers, drop its assignment. */
  release?: true;
  /** Removed (stopped first if running) before anything else: duplicates, or every container of a released pod. */
  removeFirst: Removal[];
  /** Probe this container's health from now on, or probe nothing for this pod. */
  health: { watch: MonitoredContainer } | "stop";
  events: PlannedEvent[];
  /** The status of the container found running, written first. */
  report?: StatusChange;
  /** The running container failed its health check: stopped, then handled as a crash. */
  stop?: ContainerInfo;
  /** Past the restart limit: unbind the pod with this message, to be placed on another node. */
  moveAway?: string;
  /** Removed after the report and the move: a removal the engine refuses can take seconds. */
  removeLater: Removal[];
  /** The status while no container runs and none is started now (a crash-loop back-off). */
  status?: StatusChange;
  /** Sync the pod again after this long (the back-off's end). */
  requeueAfterMs?: number;
  /** Start a container: `restarts` (0 or 1) to count, and how the last one ended if this is a restart. */
  start?: { restarts: number; afterCrash: string | undefined };
  /** What to remember of the pod for the next sync. */
  restart: RestartState | undefined;
}

export function planPodSync(input: PodSyncInput): PodSyncPlan {
  const { pod, node, containers } = input;
  if (!pod || pod.node !== node) {
    const reason = pod ? `pod moved to ${pod.node ?? "no node"}` : "pod deleted";
    return {
      ...nothing(undefined),
      release: true,
      removeFirst: containers.map((container) => ({ container, reason })),
    };
  }
  const plan = nothing(input.restart);
  // Keep the newest running container, remove any other (e.g. a duplicate left by a crash mid-start).
  const [keep, ...duplicates] = containers.filter((c) => c.running).sort(byStartedAtDesc);
  const stopped = containers.filter((c) => !c.running);
  plan.removeFirst = duplicates.map((container) => ({ container, reason: "duplicate container" }));
  if (!keep) return planRestart(plan, input, stopped, undefined);

  // Running: no back-off to wait out; the crash record stays until it runs long enough (countCrash).
  const crashes = plan.restart?.crashes;
  plan.restart = crashes && { crashes };
  const health = healthOf(input, pod, keep);
  plan.health = health.watch ? { watch: health.watch } : "stop";
  plan.report = (status, current) =>
    containerRunning(status, current, keep, { health: health.verdict, now: iso(input.now) });
  plan.removeLater = replaced(stopped, "superseded container");
  if (health.verdict !== "unhealthy") return plan;

  // Failed its health check: replaced like a container that crashed, with the same backoff.
  plan.events.push({
    type: "Warning",
    reason: "Unhealthy",
    message: `health check failed ${health.consecutiveFailures} times in a row: ${health.detail}`,
  });
  plan.health = "stop";
  plan.stop = keep;
  return planRestart(plan, input, [{ ...keep, running: false }], " (health check failed)");
}

/**
 * The pod has no running container: count the crash of the `stopped` ones, then restart after the backoff of
 * its restart policy, or past the policy's limit hand the pod back to the scheduler to go elsewhere.
 */
function planRestart(
  plan: PodSyncPlan,
  input: PodSyncInput,
  stopped: ContainerInfo[],
  why: string | undefined,
): PodSyncPlan {
  let restarts = 0;
  const counted = new Set(plan.restart?.counted);
  const ended = stopped.filter((container) => !counted.has(container.id));
  if (ended.length > 0) {
    const last = [...ended].sort(byFinishedAtDesc)[0];
    const exit = why ?? exitText(last);
    if (last?.oomKilled) {
      const limit = input.pod?.template.resources?.memory;
      const message = `container killed: out of memory${limit ? ` (limit ${limit} bytes)` : ""}`;
      plan.events.push({ type: "Warning", reason: "OOMKilled", message });
    }
    const crash = countCrash(plan.restart?.crashes, input.policy, input.now);
    if (crash.overLimit) {
      plan.moveAway = `crashed ${crash.consecutive} times in a row on ${input.node}${exit}; rescheduling`;
      plan.removeLater.push(...stopped.map((container) => ({ container, reason: "pod rescheduled" })));
      plan.restart = undefined;
      return plan;
    }
    restarts = 1;
    const ids = stopped.map((container) => container.id);
    plan.restart = { crashes: crash.record, backoff: { at: crash.restartAt, exit }, counted: ids };
    plan.removeLater.push(...replaced(stopped, "container exited"));
    if (crash.delayMs > 0) {
      const message = `back-off ${seconds(crash.delayMs)}s restarting failed container${exit}`;
      plan.events.push({ type: "Warning", reason: "BackOff", message });
    }
  }
  if (ended.length === 0) {
    // Only containers already counted, still there because the engine refused to remove them: try again.
    plan.removeLater.push(...stopped.map((container) => ({ container, reason: "container exited" })));
  }
  const backoff = plan.restart?.backoff;
  const wait = (backoff?.at ?? 0) - input.now;
  if (wait > 0) {
    const message = `back-off ${seconds(wait)}s restarting failed container${backoff?.exit ?? ""}`;
    plan.status = (status, current) =>
      crashLoopBackOff(status, current, { restarts, message }, iso(input.now));
    plan.requeueAfterMs = wait;
    return plan;
  }
  plan.start = { restarts, afterCrash: backoff?.exit };
  return plan;
}

interface HealthOfKept {
  /** Undefined without a health check. */
  verdict: PodStatus["health"];
  watch?: MonitoredContainer;
  detail: string;
  consecutiveFailures: number;
}

/** The health check's verdict on the kept container, and what to probe. */
function healthOf(input: PodSyncInput, pod: Pod, keep: RunningContainer): HealthOfKept {
  const check = pod.template.healthCheck;
  if (!check) return { verdict: undefined, detail: "", consecutiveFailures: 0 };
  // Adopted after a restart of this worker: what the store says of it stands until a probe says otherwise.
  const adopted = pod.status.containerId === keep.id && pod.status.health === "healthy";
  const watch: MonitoredContainer = {
    containerId: keep.id,
    ip: keep.ip,
    check,
    startedAt: Date.parse(keep.startedAt ?? "") || input.now,
    initial: adopted ? "healthy" : undefined,
  };
  const probed = input.health && sameTarget(input.health.target, watch) ? input.health.report : undefined;
  return {
    verdict: probed?.verdict ?? watch.initial ?? "starting",
    watch,
    detail: probed?.detail ?? "",
    consecutiveFailures: probed?.consecutiveFailures ?? 0,
  };
}

/** Removals of stopped containers the pod is done with; the last to stop keeps its output for `--previous`. */
function replaced(stopped: ContainerInfo[], reason: string): Removal[] {
  const last = [...stopped].sort(byFinishedAtDesc)[0];
  return stopped.map((container) =>
    container === last ? { container, reason, keepLogs: true } : { container, reason },
  );
}

function nothing(restart: RestartState | undefined): PodSyncPlan {
  return { removeFirst: [], health: "stop", events: [], removeLater: [], restart };
}

function byStartedAtDesc(a: ContainerInfo, b: ContainerInfo): number {
  return (b.startedAt ?? "").localeCompare(a.startedAt ?? "");
}

function byFinishedAtDesc(a: ContainerInfo, b: ContainerInfo): number {
  return (b.finishedAt ?? "").localeCompare(a.finishedAt ?? "");
}

function exitText(container: ContainerInfo | undefined): string {
  if (container?.oomKilled) return " (out of memory)";
  return container?.exitCode === undefined ? "" : ` (exit code ${container.exitCode})`;
}

function seconds(ms: number): number {
  return Math.ceil(ms / 1000);
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

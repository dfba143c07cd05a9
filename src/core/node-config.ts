// What users set on a node through the API (cordon, labels), stored apart from the worker's ephemeral
// registration so that it survives worker restarts, and merged with it wherever nodes are read.
import type { NodeInfo } from "./types.js";

/** Stored at `/nodeconfig/<name>`. */
export interface NodeConfig {
  /** Cordoned: the node takes no new pods. */
  unschedulable?: boolean;
  /** Set on top of the worker's `--label`s; `null` removes a label the worker registered. */
  labels?: Record<string, string | null>;
}

/** The node as the scheduler and users see it: its registration with the user's settings applied. */
export function effectiveNode(info: NodeInfo, config: NodeConfig | undefined): NodeInfo {
  if (!config) return info;
  const labels = applyLabels(info.labels ?? {}, config.labels);
  return { ...info, labels, schedulable: info.schedulable !== false && config.unschedulable !== true };
}

/** `labels` with `changes` applied: a string sets the label, `null` removes it. */
export function applyLabels(
  labels: Record<string, string>,
  changes: Record<string, string | null> | undefined,
): Record<string, string> {
  const result = { ...labels };
  for (const [key, value] of Object.entries(changes ?? {})) {
    if (value === null) delete result[key];
    else result[key] = value;
  }
  return result;
}

// What a worker writes about the named volumes on its engine, decided from plain data: a report per volume
// (`/volumes/<volume>.<node>`: size, whether a container uses it), so that the scheduler keeps the deployment's
// pods on the nodes that hold its data and `orchestra get volumes` can list them; a volume whose deployment
// was deleted with --purge-volumes is removed once no container uses it, and a report whose volume is gone
// goes too.
import type { VolumeReport } from "../../core/types.js";
import type { VolumeInfo } from "../../runtime/runtime.js";

/** Labels of the volumes Orchestra makes: which deployment and which of its volumes. */
export const LABEL_VOLUME = "orchestra.volume";

export interface VolumeReportPlan {
  /** Reports to write (new, or changed in size, use or nothing but the volume's return). */
  write: VolumeReport[];
  /** Volumes to remove from the engine (purged, unused), with their reports. */
  remove: string[];
  /** Reports (by volume name) of volumes no longer on the engine. */
  drop: string[];
}

export function planVolumeReports(input: {
  node: string;
  /** Orchestra's volumes on the engine, with their usage. */
  volumes: readonly VolumeInfo[];
  /** This node's reports in the store. */
  reports: readonly VolumeReport[];
  now: string;
}): VolumeReportPlan {
  const plan: VolumeReportPlan = { write: [], remove: [], drop: [] };
  const byName = new Map(input.reports.map((report) => [report.name, report]));
  const onEngine = new Set<string>();
  for (const volume of input.volumes) {
    const deployment = volume.labels["orchestra.deployment"];
    const name = volume.labels[LABEL_VOLUME];
    if (deployment === undefined || name === undefined) continue;
    onEngine.add(volume.name);
    const report = byName.get(volume.name);
    const inUse = (volume.containers ?? 0) > 0;
    if (report?.purge && !inUse) {
      plan.remove.push(volume.name);
      continue;
    }
    const next: VolumeReport = {
      name: volume.name,
      node: input.node,
      deployment,
      volume: name,
      ...(volume.sizeBytes !== undefined ? { sizeBytes: volume.sizeBytes } : {}),
      inUse,
      ...(report?.purge ? { purge: true } : {}),
      createdAt: report?.createdAt ?? input.now,
      updatedAt: input.now,
    };
    if (!report || report.inUse !== next.inUse || report.sizeBytes !== next.sizeBytes) plan.write.push(next);
  }
  for (const report of input.reports) if (!onEngine.has(report.name)) plan.drop.push(report.name);
  return plan;
}

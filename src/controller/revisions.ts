// Revision history as plain data: what changed between two templates, which revision to roll back to, and
// the deployment a rollback writes. Shared by the controller (automatic rollback) and the API (undo).
import { canonicalJson, revisionHash, TEMPLATE_FIELDS } from "../core/revision.js";
import type { Deployment, PodTemplate, Revision } from "../core/types.js";

/** Revisions kept per deployment; the oldest beyond this are pruned (Kubernetes keeps 10 too). */
export const REVISION_HISTORY_LIMIT = 10;

/** Oldest first. */
export function sortRevisions(revisions: readonly Revision[]): Revision[] {
  return [...revisions].sort((a, b) => a.revision - b.revision);
}

/** A short CHANGE-CAUSE: the new image, or which other fields changed. */
export function describeChange(previous: PodTemplate | undefined, next: PodTemplate): string {
  if (!previous) return `created with image ${next.image}`;
  const changed = TEMPLATE_FIELDS.filter(
    (field) => canonicalJson(previous[field]) !== canonicalJson(next[field]),
  );
  const parts = changed.map((field) =>
    field === "image" ? `image ${previous.image} -> ${next.image}` : `${field} changed`,
  );
  return parts.length > 0 ? parts.join(", ") : "template changed";
}

/** The newest revision other than `currentHash` whose rollout once completed. */
export function lastGoodRevision(history: readonly Revision[], currentHash: string): Revision | undefined {
  return sortRevisions(history)
    .reverse()
    .find((revision) => revision.hash !== currentHash && revision.completedAt !== undefined);
}

/** The revision before the current one (what `rollout undo` goes back to), good or not. */
export function previousRevision(history: readonly Revision[], currentHash: string): Revision | undefined {
  const sorted = sortRevisions(history);
  const current = sorted.find((revision) => revision.hash === currentHash);
  return sorted
    .reverse()
    .find(
      (revision) =>
        revision.hash !== currentHash && (current === undefined || revision.revision < current.revision),
    );
}

/**
 * `current` with the pod template of `revision`: name, replicas and strategy stay; the template's fields
 * are replaced (fields the old template lacked are dropped); a new generation.
 */
export function deploymentAtRevision(current: Deployment, revision: Revision, now: string): Deployment {
  const { name, replicas, strategy, generation, createdAt } = current;
  const template = structuredClone(revision.template);
  const next: Deployment = {
    name,
    replicas,
    ...(strategy !== undefined ? { strategy: structuredClone(strategy) } : {}),
    ...template,
    hash: revisionHash(template),
    generation: generation + 1,
    createdAt,
    updatedAt: now,
  };
  return next;
}

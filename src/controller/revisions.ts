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

/**
 * A short CHANGE-CAUSE: the new image, the configs or secrets whose data changed (`secret db-password changed`),
 * or which other fields changed.
 */
export function describeChange(previous: PodTemplate | undefined, next: PodTemplate): string {
  if (!previous) return `created with image ${next.image}`;
  const changed = TEMPLATE_FIELDS.filter(
    (field) => canonicalJson(previous[field]) !== canonicalJson(next[field]),
  );
  const parts = changed.flatMap((field) => {
    if (field === "image") return [`image ${previous.image} -> ${next.image}`];
    if (field === "configs" || field === "secrets") {
      const updated = newVersions(previous[field], next[field]);
      if (updated) return updated.map((name) => `${field.slice(0, -1)} ${name} changed`);
    }
    return [`${field} changed`];
  });
  return parts.length > 0 ? parts.join(", ") : "template changed";
}

/** The names whose version alone moved, when that is the only difference between the two lists. */
function newVersions(
  previous: readonly { name: string; version?: number }[] | undefined,
  next: readonly { name: string; version?: number }[] | undefined,
): string[] | undefined {
  const withoutVersion = (refs: typeof previous) =>
    canonicalJson((refs ?? []).map(({ version: _version, ...ref }) => ref).sort(compareNames));
  if (withoutVersion(previous) !== withoutVersion(next)) return undefined;
  const before = new Map((previous ?? []).map((ref) => [ref.name, ref.version]));
  return (next ?? []).filter((ref) => before.get(ref.name) !== ref.version).map((ref) => ref.name);
}

function compareNames(a: { name: string }, b: { name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
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

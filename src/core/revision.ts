// The revision hash of a pod template: pods made from an older template are replaced in a rollout.
// It must not move for edits that change nothing (key order, port order, empty maps).
import { createHash } from "node:crypto";
import { fieldsOf } from "./schemas/common.js";
import { PodTemplate as PodTemplateSchema } from "./schemas/deployment.js";
import type { PodTemplate } from "./types.js";

/** The fields of a pod template: everything of a deployment but `name`, `replicas` and `strategy`. */
export const TEMPLATE_FIELDS = fieldsOf(PodTemplateSchema);

/** The part of a deployment that every one of its pods runs. */
export function podTemplateOf(spec: PodTemplate): PodTemplate {
  const template: Record<string, unknown> = {};
  for (const field of TEMPLATE_FIELDS) {
    if (spec[field] !== undefined) template[field] = structuredClone(spec[field]);
  }
  return template as unknown as PodTemplate;
}

/** 10 hex characters of SHA-256 over the template's canonical JSON. */
export function revisionHash(template: PodTemplate): string {
  // Only the template's fields, so that a whole Deployment passed here hashes the same.
  const canonical = canonicalJson({
    ...podTemplateOf(template),
    // Ports are a set (their uniqueness is validated), so their order is not part of the revision.
    ports:
      template.ports &&
      [...template.ports].sort(
        (a, b) => a.containerPort - b.containerPort || a.protocol.localeCompare(b.protocol),
      ),
    // So are volumes, configs and secrets (unique by name); their versions are part of the revision, so an
    // update of a config or secret rolls out the deployments that use it.
    volumes: byName(template.volumes),
    configs: byName(template.configs),
    secrets: byName(template.secrets),
  });
  return createHash("sha256").update(canonical).digest("hex").slice(0, 10);
}

function byName<T extends { name: string }>(items: T[] | undefined): T[] | undefined {
  return items && [...items].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * JSON with object keys sorted, undefined values and empty objects/arrays left out, so that two
 * values that mean the same thing serialize to the same text.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(normalize(value)) ?? "null";
}

function normalize(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map((item) => normalize(item) ?? null);
  }
  if (typeof value === "object" && value !== null) {
    const entries = Object.keys(value)
      .sort()
      .map((key): [string, unknown] => [key, normalize((value as Record<string, unknown>)[key])])
      .filter(([, v]) => v !== undefined && !isEmpty(v));
    return Object.fromEntries(entries);
  }
  return value;
}

function isEmpty(value: unknown): boolean {
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === "object" && value !== null && Object.keys(value).length === 0;
}

// The revision hash of a pod template: pods made from an older template are replaced in a rollout.
// It must not move for edits that change nothing (key order, port order, empty maps).
import { createHash } from "node:crypto";
import type { DeploymentSpec, PodTemplate } from "./types.js";

/** The part of a deployment that every one of its pods runs: everything but `name` and `replicas`. */
export function podTemplateOf(spec: DeploymentSpec): PodTemplate {
  const template: PodTemplate = { image: spec.image };
  if (spec.command !== undefined) template.command = [...spec.command];
  if (spec.env !== undefined) template.env = { ...spec.env };
  if (spec.ports !== undefined) template.ports = spec.ports.map((p) => ({ ...p }));
  if (spec.labels !== undefined) template.labels = { ...spec.labels };
  if (spec.resources !== undefined) template.resources = { ...spec.resources };
  if (spec.healthCheck !== undefined) template.healthCheck = structuredClone(spec.healthCheck);
  if (spec.placement !== undefined) template.placement = structuredClone(spec.placement);
  if (spec.restartPolicy !== undefined) template.restartPolicy = { ...spec.restartPolicy };
  return template;
}

/** 10 hex characters of SHA-256 over the template's canonical JSON. */
export function revisionHash(template: PodTemplate): string {
  // Pick the template's fields explicitly so that a whole Deployment passed here hashes the same.
  const { image, command, env, ports, labels, resources, healthCheck, placement, restartPolicy } = template;
  const canonical = canonicalJson({
    image,
    command,
    env,
    // Ports are a set (their uniqueness is validated), so their order is not part of the revision.
    ports:
      ports &&
      [...ports].sort((a, b) => a.containerPort - b.containerPort || a.protocol.localeCompare(b.protocol)),
    labels,
    resources,
    healthCheck,
    placement,
    restartPolicy,
  });
  return createHash("sha256").update(canonical).digest("hex").slice(0, 10);
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
